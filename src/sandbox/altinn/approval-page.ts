import type { RequestRecord, SystemRecord } from './records.js';

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const layout = (title: string, body: string) => `<!doctype html>
<html lang="nb"><head><meta charset="utf-8"><title>${escapeHtml(title)} – Altinn (sandbox)</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1e2b3c}
.box{border:1px solid #c9d2dc;border-radius:8px;padding:1rem 1.5rem}button{font-size:1rem;padding:.5rem 1.25rem;margin-right:.5rem;border-radius:4px;cursor:pointer}
button[value=approve]{background:#0062ba;color:#fff;border:0}small{color:#68707c}</style></head>
<body><p><small>Altinn sandbox (Portvakt) — not the real Altinn; nobody is logged in here.</small></p>${body}</body></html>`;

/** The end user's page: what the vendor asks for, and Approve / Reject. */
export function requestPage(request: RequestRecord, system: SystemRecord | undefined, action: string): string {
  const systemName = system?.name.nb ?? system?.name.en ?? request.systemId;
  const vendor = system?.vendor.ID.replace(/^0192:/, '') ?? '';
  const what =
    request.userType === 'agent'
      ? `<p>Tilgangspakker: ${escapeHtml(JSON.stringify(request.accessPackages))}</p>`
      : `<ul>${request.rights
          .flatMap((right) => right.resource.map((r) => `<li>${escapeHtml(r.value)}</li>`))
          .join('')}</ul>`;
  const decision =
    request.status === 'New'
      ? `<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="id" value="${escapeHtml(request.id)}">
<button type="submit" name="action" value="approve">Godkjenn</button>
<button type="submit" name="action" value="reject">Avvis</button></form>`
      : `<p id="status">Status: <strong>${escapeHtml(request.status)}</strong></p>`;
  return layout(
    `Systemtilgang for ${systemName}`,
    `<div class="box"><h1>${escapeHtml(systemName)} ber om tilgang</h1>
<p>Leverandør ${escapeHtml(vendor)} ber om en ${request.userType === 'agent' ? 'klient-' : ''}systembruker for
organisasjon <strong>${escapeHtml(request.partyOrgNo)}</strong> (referanse ${escapeHtml(request.externalRef)}).</p>
${what}${decision}</div>`,
  );
}

const HEADINGS: Record<string, string> = {
  Accepted: 'Godkjent',
  Rejected: 'Avvist',
  New: 'Systembrukeren finnes allerede',
};

export function resultPage(request: RequestRecord): string {
  return layout(
    'Systemtilgang',
    `<div class="box"><h1>${HEADINGS[request.status] ?? escapeHtml(request.status)}</h1>
<p id="status">Status: <strong>${escapeHtml(request.status)}</strong></p></div>`,
  );
}

export function notFoundPage(): string {
  return layout('Ikke funnet', '<h1>Forespørselen finnes ikke</h1>');
}
