/**
 * The bodies of Krav og betalinger (`openapi.yaml` holds the same shapes). Field names
 * are Skatteetaten's. Amounts are NOK rounded to øre, dates YYYY-MM-DD.
 */

/** An inclusive date range, both ends YYYY-MM-DD. */
export interface Periode {
  fraOgMed: string;
  tilOgMed: string;
}

export interface Krav {
  kravidentifikator: string;
  kravbeskrivelse: string;
  kravtype: string;
  kravgruppe: string;
  opprinneligBeloep: number;
  /** 0 when the claim is settled (only `/krav` lists settled claims). */
  gjenstaaendeBeloep: number;
  /** Due date; a claim is forfalt (overdue) when this is before today. */
  kravforfall: string;
  periode: string;
}

export interface InnbetalingMedUplassertBeloep {
  innbetalingsidentifikator: string;
  innbetalingsdato: string;
  innbetaltBeloep: number;
  /** The part of the payment not yet placed on any claim. */
  uplassertBeloep: number;
}

export type Innbetaling = InnbetalingMedUplassertBeloep;

export interface TotalOversikt {
  sumForfalteKrav: number;
  sumIkkeForfalteKrav: number;
  sumStipulerteRenter: number;
  sumUplasserteInnbetalinger: number;
  /** Sum of remaining claim amounts minus unplaced payments; negative when the party has money to its credit. */
  saldo: number;
}

export interface OversiktPerKravgruppe {
  kravgruppe: string;
  sumForfalteKrav: number;
  sumIkkeForfalteKrav: number;
  sumStipulerteRenter: number;
}

export interface AapneKrav {
  partIdentifikator: string;
  aapentKravMedGjenstaaendeBeloep: Krav[];
  innbetalingMedUplassertBeloep: InnbetalingMedUplassertBeloep[];
  totalOversikt: TotalOversikt;
  oversiktPerKravgruppe: OversiktPerKravgruppe[];
}

export interface KravListe {
  partIdentifikator: string;
  krav: Krav[];
}

export interface InnbetalingListe {
  partIdentifikator: string;
  innbetalinger: Innbetaling[];
}
