import { sumOere, toKroner } from './money.js';
import { stipulerteRenterOere } from './renter.js';
import type { OversiktPerKravgruppe, TotalOversikt } from './types.js';

/** An open claim as the totals need it: amounts still in øre. */
export interface AapentKravBeloep {
  kravgruppe: string;
  kravforfall: string;
  gjenstaaendeOere: bigint;
}

interface Summer {
  forfalte: bigint;
  ikkeForfalte: bigint;
  renter: bigint;
}

function summer(krav: readonly AapentKravBeloep[], today: string): Summer {
  const sum: Summer = { forfalte: 0n, ikkeForfalte: 0n, renter: 0n };
  for (const k of krav) {
    // Forfalt means past its due date; a claim due today can still be paid on time.
    if (k.kravforfall < today) sum.forfalte += k.gjenstaaendeOere;
    else sum.ikkeForfalte += k.gjenstaaendeOere;
    sum.renter += stipulerteRenterOere(k.gjenstaaendeOere, k.kravforfall, today);
  }
  return sum;
}

/** Totals over all open claims; every sum is taken in øre and converted once. */
export function totalOversikt(
  krav: readonly AapentKravBeloep[],
  uplasserteOere: readonly bigint[],
  today: string,
): TotalOversikt {
  const sum = summer(krav, today);
  const uplassert = sumOere(uplasserteOere);
  return {
    sumForfalteKrav: toKroner(sum.forfalte),
    sumIkkeForfalteKrav: toKroner(sum.ikkeForfalte),
    sumStipulerteRenter: toKroner(sum.renter),
    sumUplasserteInnbetalinger: toKroner(uplassert),
    saldo: toKroner(sum.forfalte + sum.ikkeForfalte - uplassert),
  };
}

/** The same sums per kravgruppe, ordered by name; only groups with open claims appear. */
export function oversiktPerKravgruppe(krav: readonly AapentKravBeloep[], today: string): OversiktPerKravgruppe[] {
  const groups = new Map<string, AapentKravBeloep[]>();
  for (const k of krav) groups.set(k.kravgruppe, [...(groups.get(k.kravgruppe) ?? []), k]);
  return [...groups.keys()]
    .sort((a, b) => a.localeCompare(b, 'nb'))
    .map((kravgruppe) => {
      const sum = summer(groups.get(kravgruppe) ?? [], today);
      return {
        kravgruppe,
        sumForfalteKrav: toKroner(sum.forfalte),
        sumIkkeForfalteKrav: toKroner(sum.ikkeForfalte),
        sumStipulerteRenter: toKroner(sum.renter),
      };
    });
}
