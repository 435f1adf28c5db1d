/** What a permitted request carries into the handler (`req.portvakt`): the pipeline's last step. */
export interface PortvaktContext {
  /** The organization number (9 digits) whose data is requested. */
  party: string;
  /** The Altinn system user: its uuid and the organization number that owns it. */
  systemUser: { id: string; orgNo: string };
  /** The registered system, e.g. `314330897_smartregnskap`. */
  systemId: string;
  /** The vendor's organization number from the token's `consumer`, when present. */
  consumerOrgNo: string | undefined;
  /** The Maskinporten client id, when present. */
  clientId: string | undefined;
  /** The token's scopes. */
  scopes: string[];
  decision: { cached: boolean };
}

/** One question to the PDP: may this system user do `action` on `resource` for `party`? */
export interface DecisionQuery {
  systemUserId: string;
  resource: string;
  action: string;
  party: string;
}
