import type { AltinnRecords, ChangeRequestRecord, RequestRecord, RequestStatus, SystemRecord } from './records.js';

export const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `body{font-family:system-ui,sans-serif;max-width:52rem;margin:0 auto;padding:0 1rem 3rem;color:#1e2b3c;background:#f4f6f8}
header{display:flex;justify-content:space-between;align-items:center;padding:.75rem 0;border-bottom:1px solid #c9d2dc;margin-bottom:1.5rem}
header a{color:#0062ba}.tag{font-size:.8rem;color:#68707c}
.box{background:#fff;border:1px solid #c9d2dc;border-radius:8px;padding:1rem 1.5rem;margin-bottom:1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:0}
.btn{display:inline-block;font:inherit;font-size:1rem;padding:.55rem 1.25rem;margin:.25rem .5rem .25rem 0;border-radius:6px;cursor:pointer;text-decoration:none;border:2px solid #0062ba}
.primary{background:#0062ba;color:#fff}.secondary{background:#fff;color:#0062ba}
.danger{background:#fff;color:#c0392b;border-color:#c0392b}.small{font-size:.85rem;padding:.25rem .7rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e3e8ee;vertical-align:top}
th{font-size:.85rem;color:#68707c;font-weight:600}.muted{color:#68707c}.ok{color:#17803d}.no{color:#c0392b}
ul.rights li{margin:.35rem 0}input[type=text]{font:inherit;padding:.4rem;border:1px solid #c9d2dc;border-radius:4px}
.log{font-family:ui-monospace,monospace;font-size:.82rem}`;

/** The page frame: Altinn-like header, and the honest note that this is a sandbox without login. */
export function layout(title: string, body: string, script = ''): string {
  return `<!doctype html>
<html lang="nb"><head><meta charset="utf-8"><title>${escapeHtml(title)} – Altinn (sandkasse)</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body><header><strong>Altinn</strong><span class="tag">Sandkasse (Portvakt) – ikke ekte Altinn, ingen innlogging ·
<a href="/console">Oversikt</a></span></header>
<main>${body}</main>${script ? `<script>${script}</script>` : ''}</body></html>`;
}

export const systemName = (system: SystemRecord | undefined, fallback: string) =>
  system?.name.nb ?? system?.name.nn ?? system?.name.en ?? fallback;

/** A right or package in words: the resource register's title and description, not the raw id. */
export function rightsInWords(
  records: AltinnRecords,
  request: Pick<RequestRecord, 'rights' | 'accessPackages'>,
): string {
  const items = [
    ...request.rights.flatMap((right) =>
      right.resource.map((attr) => {
        const resource = records.resources.get(attr.value);
        return resource
          ? `<li><strong>${escapeHtml(resource.title)}</strong> – ${escapeHtml(resource.description)} <span class="muted">(${escapeHtml(records.nameOf(resource.owner))})</span></li>`
          : `<li>${escapeHtml(attr.value)}</li>`;
      }),
    ),
    ...request.accessPackages.map((p) => {
      const known = records.accessPackages.get(p.urn);
      return `<li>Tilgangspakken <strong>${escapeHtml(known?.name ?? p.urn)}</strong>${known?.client ? ' – for kundene dine' : ''}</li>`;
    }),
  ];
  return items.length > 0 ? `<ul class="rights">${items.join('')}</ul>` : '<p class="muted">Ingen rettigheter.</p>';
}

/** The end user's page: who asks, for which organisation, for what — and Godkjenn / Avvis. */
export function requestPage(records: AltinnRecords, request: RequestRecord, action: string): string {
  const system = records.systems.get(request.systemId);
  const name = systemName(system, request.systemId);
  const vendorOrg = system?.vendor.ID.split(':')[1] ?? '';
  const party = records.nameOf(request.partyOrgNo);
  const agent = request.userType === 'agent';
  const decision =
    request.status === 'New'
      ? `<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="id" value="${escapeHtml(request.id)}">
<button class="btn primary" type="submit" name="action" value="approve">Godkjenn</button>
<button class="btn secondary" type="submit" name="action" value="reject">Avvis</button></form>`
      : `<p id="status">Forespørselen er allerede behandlet: <strong>${STATUS_TEXT[request.status]}</strong>.</p>`;
  return layout(
    `Systemtilgang for ${name}`,
    `<div class="box"><h1>${escapeHtml(records.nameOf(vendorOrg))} ber om ${agent ? 'klienttilgang' : 'tilgang'} for ${escapeHtml(name)}</h1>
<p><strong>${escapeHtml(name)}</strong> fra ${escapeHtml(records.nameOf(vendorOrg))} (org.nr. ${escapeHtml(vendorOrg)}) ber om en
${agent ? 'systembruker for klientforhold' : 'systembruker'} for <strong>${escapeHtml(party)}</strong> (org.nr. ${escapeHtml(request.partyOrgNo)}).</p>
<h2>${agent ? 'Systemet får disse tilgangspakkene for kundene dere gir det' : 'Systemet får tilgang til'}</h2>
${rightsInWords(records, request)}
<p class="muted">Leverandørens referanse: ${escapeHtml(request.externalRef)}${request.redirectUrl ? ` · Du sendes tilbake til ${escapeHtml(new URL(request.redirectUrl).host)} etterpå` : ''}</p>
${decision}</div>`,
  );
}

const STATUS_TEXT: Record<RequestStatus, string> = {
  New: 'ny',
  Accepted: 'godkjent',
  Rejected: 'avvist',
  Denied: 'avslått',
  Timedout: 'utløpt',
};

/** After the decision, when the vendor gave no redirectUrl: what happened, and the way on. */
export function resultPage(records: AltinnRecords, request: RequestRecord, conflict = false): string {
  const name = systemName(records.systems.get(request.systemId), request.systemId);
  const party = records.nameOf(request.partyOrgNo);
  const heading = conflict
    ? 'Systembrukeren finnes allerede'
    : request.status === 'Accepted'
      ? `${name} har fått tilgang`
      : request.status === 'Rejected'
        ? 'Forespørselen er avvist'
        : `Forespørselen er ${STATUS_TEXT[request.status]}`;
  const text = conflict
    ? `${escapeHtml(party)} har allerede en systembruker for ${escapeHtml(name)} med denne referansen.`
    : request.status === 'Accepted'
      ? `${escapeHtml(party)} har nå en systembruker for ${escapeHtml(name)}. Du kan slette den når som helst i oversikten.`
      : `${escapeHtml(name)} fikk ikke tilgang for ${escapeHtml(party)}.`;
  const next = request.redirectUrl
    ? `<a class="btn primary" href="${escapeHtml(request.redirectUrl)}">Tilbake til ${escapeHtml(name)}</a>`
    : '';
  return layout(
    'Systemtilgang',
    `<div class="box"><h1>${escapeHtml(heading)}</h1><p id="status">${text}</p>
${next}<a class="btn secondary" href="/console">Til oversikten</a></div>`,
  );
}

export function notFoundPage(): string {
  return layout(
    'Ikke funnet',
    '<div class="box"><h1>Forespørselen finnes ikke</h1><p>Den kan være slettet av leverandøren.</p><a class="btn secondary" href="/console">Til oversikten</a></div>',
  );
}

/** The end user's page for a change request: what the system gets, and what it loses. */
export function changeRequestPage(records: AltinnRecords, change: ChangeRequestRecord, action: string): string {
  const system = records.systems.get(change.systemId);
  const name = systemName(system, change.systemId);
  const vendorOrg = system?.vendor.ID.split(':')[1] ?? '';
  const gets = { rights: change.requiredRights, accessPackages: change.requiredAccessPackages };
  const loses = { rights: change.unwantedRights, accessPackages: change.unwantedAccessPackages };
  const decision =
    change.status === 'New'
      ? `<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="id" value="${escapeHtml(change.id)}">
<button class="btn primary" type="submit" name="action" value="approve">Godkjenn</button>
<button class="btn secondary" type="submit" name="action" value="reject">Avvis</button></form>`
      : `<p id="status">Forespørselen er allerede behandlet: <strong>${STATUS_TEXT[change.status]}</strong>.</p>`;
  return layout(
    `Endret tilgang for ${name}`,
    `<div class="box"><h1>${escapeHtml(records.nameOf(vendorOrg))} ber om endret tilgang for ${escapeHtml(name)}</h1>
<p>Systembrukeren for <strong>${escapeHtml(records.nameOf(change.partyOrgNo))}</strong> (org.nr. ${escapeHtml(change.partyOrgNo)}) endres.</p>
${gets.rights.length + gets.accessPackages.length > 0 ? `<h2>Systemet får i tillegg</h2>${rightsInWords(records, gets)}` : ''}
${loses.rights.length + loses.accessPackages.length > 0 ? `<h2>Systemet mister</h2>${rightsInWords(records, loses)}` : ''}
${decision}</div>`,
  );
}

/** After a change request's decision, when the vendor gave no redirectUrl. */
export function changeResultPage(records: AltinnRecords, change: ChangeRequestRecord): string {
  const name = systemName(records.systems.get(change.systemId), change.systemId);
  const heading = change.status === 'Accepted' ? `Tilgangen til ${name} er endret` : 'Forespørselen er avvist';
  return layout(
    'Endret tilgang',
    `<div class="box"><h1>${escapeHtml(heading)}</h1><p id="status">Systembrukeren for ${escapeHtml(records.nameOf(change.partyOrgNo))}.</p>
<a class="btn secondary" href="/console">Til oversikten</a></div>`,
  );
}
