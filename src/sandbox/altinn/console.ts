import { readBody } from '../../testing/http.js';
import {
  changeRequestPage,
  changeResultPage,
  escapeHtml,
  layout,
  notFoundPage,
  requestPage,
  resultPage,
  rightsInWords,
  systemName,
} from './approval-page.js';
import { ok, type Reply, type Route } from './http.js';
import type { SandboxEvent, SystemUserRecord } from './records.js';
import { UI, type World } from './world.js';

const CONSOLE = '/console';

/**
 * The pages a person uses: the end user's approval pages, and the sandbox console — systems, system users,
 * pending requests and client delegations with their actions, and a live log of what the gateway asked the
 * PDP and what Maskinporten answered.
 */
export function pageRoutes(world: World): Route[] {
  const { records } = world;
  const form = async (req: Parameters<Route['handle']>[0]['req']) =>
    new URLSearchParams((await readBody(req)).toString('utf8'));

  const button = (action: string, id: string, label: string, style: string, extra = '') =>
    `<form method="post" action="${CONSOLE}/action" style="display:inline"><input type="hidden" name="action" value="${action}"><input type="hidden" name="id" value="${escapeHtml(id)}">${extra}<button class="btn small ${style}" type="submit">${label}</button></form>`;

  return [
    { method: 'GET', path: /^\/$/, handle: () => ({ status: 303, headers: { location: CONSOLE } }) },
    {
      method: 'GET',
      path: new RegExp(`^${CONSOLE}$`),
      handle: (call) => ({ status: 200, html: consolePage(call.query.get('melding')) }),
    },
    {
      method: 'GET',
      path: new RegExp(`^${CONSOLE}/events$`),
      handle(call) {
        const after = Number(call.query.get('after') ?? 0);
        return ok(records.events.filter((e) => e.seq > after));
      },
    },
    {
      method: 'POST',
      path: new RegExp(`^${CONSOLE}/action$`),
      async handle(call) {
        const message = act(await form(call.req));
        return { status: 303, headers: { location: `${CONSOLE}?melding=${encodeURIComponent(message)}` } };
      },
    },
    {
      method: 'GET',
      path: new RegExp(`^${UI}/changerequest$`),
      handle(call) {
        const change = records.changeRequests.get((call.query.get('id') ?? '').toLowerCase());
        if (!change) return { status: 404, html: notFoundPage() };
        return { status: 200, html: changeRequestPage(records, change, `${UI}/changerequest`) };
      },
    },
    {
      method: 'POST',
      path: new RegExp(`^${UI}/changerequest$`),
      async handle(call): Promise<Reply> {
        const data = await form(call.req);
        const change = records.changeRequests.get((data.get('id') ?? '').toLowerCase());
        if (!change) return { status: 404, html: notFoundPage() };
        const action = data.get('action');
        if (action === 'approve-change' || action === 'approve') decideChange(change.id, 'approve');
        if (action === 'reject-change' || action === 'reject') decideChange(change.id, 'reject');
        if (change.redirectUrl && change.status !== 'New') {
          return { status: 303, headers: { location: change.redirectUrl } };
        }
        return { status: 200, html: changeResultPage(records, change) };
      },
    },
    {
      method: 'GET',
      path: new RegExp(`^${UI}/(?:request|agentrequest)$`),
      handle(call) {
        const request = records.requests.get((call.query.get('id') ?? '').toLowerCase());
        if (!request) return { status: 404, html: notFoundPage() };
        return { status: 200, html: requestPage(records, request, call.req.url?.split('?')[0] ?? '') };
      },
    },
    {
      method: 'POST',
      path: new RegExp(`^${UI}/(?:request|agentrequest)$`),
      async handle(call): Promise<Reply> {
        const data = await form(call.req);
        const request = records.requests.get((data.get('id') ?? '').toLowerCase());
        if (!request) return { status: 404, html: notFoundPage() };
        if (request.status === 'New') {
          const action = data.get('action');
          if (
            action === 'approve' &&
            records.systemUserFor(request.systemId, request.partyOrgNo, request.externalRef)
          ) {
            return { status: 409, html: resultPage(records, request, true) };
          }
          if (action === 'approve' || action === 'reject') decide(request.id, action);
        }
        if (request.redirectUrl && request.status !== 'New') {
          return { status: 303, headers: { location: request.redirectUrl } };
        }
        return { status: 200, html: resultPage(records, request) };
      },
    },
  ];

  function decide(requestId: string, action: 'approve' | 'reject'): string {
    const request = records.requests.get(requestId);
    if (request?.status !== 'New') return 'Forespørselen er allerede behandlet.';
    const name = systemName(records.systems.get(request.systemId), request.systemId);
    const party = records.nameOf(request.partyOrgNo);
    if (action === 'approve') {
      if (records.systemUserFor(request.systemId, request.partyOrgNo, request.externalRef)) {
        return `${party} har allerede en systembruker for ${name}.`;
      }
      records.accept(request.id);
      records.log({ kind: 'altinn', outcome: 'godkjent', text: `${party} godkjente forespørselen fra ${name}` });
      return `${party} godkjente forespørselen fra ${name}.`;
    }
    records.reject(request.id);
    records.log({ kind: 'altinn', outcome: 'avvist', text: `${party} avviste forespørselen fra ${name}` });
    return `${party} avviste forespørselen fra ${name}.`;
  }

  function decideChange(id: string, action: 'approve' | 'reject'): string {
    const change = records.changeRequests.get(id);
    if (change?.status !== 'New') return 'Forespørselen er allerede behandlet.';
    const party = records.nameOf(change.partyOrgNo);
    const name = systemName(records.systems.get(change.systemId), change.systemId);
    if (action === 'approve' ? !records.acceptChange(id) : !records.rejectChange(id)) {
      return 'Systembrukeren finnes ikke lenger.';
    }
    const verb = action === 'approve' ? 'godkjente' : 'avviste';
    records.log({
      kind: 'altinn',
      outcome: action === 'approve' ? 'godkjent' : 'avvist',
      text: `${party} ${verb} endringen for ${name}`,
    });
    return `${party} ${verb} endringen for ${name}.`;
  }

  /** One console action; answers the message shown after the redirect. */
  function act(data: URLSearchParams): string {
    const action = data.get('action') ?? '';
    const id = (data.get('id') ?? '').toLowerCase();
    if (action === 'approve' || action === 'reject') return decide(id, action);
    if (action === 'approve-change') return decideChange(id, 'approve');
    if (action === 'reject-change') return decideChange(id, 'reject');
    const user = records.systemUsers.get(id);
    if (!user || user.isDeleted) return 'Systembrukeren finnes ikke.';
    if (action === 'revoke') {
      records.revoke(user.partyOrgNo, user.id);
      records.log({
        kind: 'altinn',
        outcome: 'slettet',
        text: `${records.nameOf(user.partyOrgNo)} slettet systembrukeren ${user.integrationTitle}`,
      });
      return `Systembrukeren ${user.integrationTitle} for ${records.nameOf(user.partyOrgNo)} er slettet.`;
    }
    const client = (data.get('client') ?? '').trim();
    if (action === 'delegate') {
      if (!records.organisations.has(client))
        return `${client || 'Tomt org.nr.'} finnes ikke i enhetsregisteret (sandkassen).`;
      records.delegateClient(user.id, client);
      records.log({
        kind: 'altinn',
        outcome: 'kunde lagt til',
        text: `${records.nameOf(user.partyOrgNo)} ga ${user.integrationTitle} kunden ${records.nameOf(client)}`,
      });
      return `${records.nameOf(client)} er lagt til som kunde.`;
    }
    if (action === 'undelegate') {
      records.removeClient(user.id, client);
      records.log({
        kind: 'altinn',
        outcome: 'kunde fjernet',
        text: `${records.nameOf(user.partyOrgNo)} fjernet kunden ${records.nameOf(client)} fra ${user.integrationTitle}`,
      });
      return `${records.nameOf(client)} er fjernet som kunde.`;
    }
    return 'Ukjent handling.';
  }

  function consolePage(message: string | null): string {
    const systems = [...records.systems.values()].filter((s) => !s.isDeleted);
    const users = [...records.systemUsers.values()].filter((u) => !u.isDeleted);
    const pending = [...records.requests.values()].filter((r) => r.status === 'New');
    const agents = users.filter((u) => u.userType === 'agent');
    const org = (orgNo: string) =>
      `${escapeHtml(records.nameOf(orgNo))} <span class="muted">${escapeHtml(orgNo)}</span>`;

    const systemRows = systems
      .map(
        (s) =>
          `<tr><td><strong>${escapeHtml(systemName(s, s.id))}</strong><br><span class="muted">${escapeHtml(s.id)}</span></td><td>${org(s.vendor.ID.split(':')[1] ?? '')}</td><td>${rightsInWords(records, { rights: s.rights, accessPackages: s.accessPackages })}</td></tr>`,
      )
      .join('');
    const userRows = users
      .map(
        (u: SystemUserRecord) =>
          `<tr><td><strong>${escapeHtml(u.integrationTitle)}</strong> <span class="muted">(${u.userType === 'agent' ? 'klient' : 'standard'})</span></td><td>${org(u.partyOrgNo)}</td><td class="muted">${escapeHtml(u.externalRef)}</td><td>${button('revoke', u.id, 'Slett', 'danger')}</td></tr>`,
      )
      .join('');
    const changeRows = [...records.changeRequests.values()]
      .filter((c) => c.status === 'New')
      .map((c) => {
        const name = systemName(records.systems.get(c.systemId), c.systemId);
        return `<tr><td><a href="${UI}/changerequest?id=${c.id}">${escapeHtml(name)}</a> <span class="muted">(endring)</span></td><td>${org(c.partyOrgNo)}</td><td>${button('approve-change', c.id, 'Godkjenn', 'primary')}${button('reject-change', c.id, 'Avvis', 'secondary')}</td></tr>`;
      })
      .join('');
    const requestRows = pending
      .map((r) => {
        const name = systemName(records.systems.get(r.systemId), r.systemId);
        const page = `${UI}/${r.userType === 'agent' ? 'agentrequest' : 'request'}?id=${r.id}`;
        return `<tr><td><a href="${page}">${escapeHtml(name)}</a> <span class="muted">(${r.userType === 'agent' ? 'klient' : 'standard'})</span></td><td>${org(r.partyOrgNo)}</td><td>${button('approve', r.id, 'Godkjenn', 'primary')}${button('reject', r.id, 'Avvis', 'secondary')}</td></tr>`;
      })
      .join('');
    const agentBlocks = agents
      .map((a) => {
        const clients = [...(records.clients.get(a.id) ?? [])];
        const rows = clients
          .map(
            (c) =>
              `<tr><td>${org(c)}</td><td>${button('undelegate', a.id, 'Fjern', 'danger', `<input type="hidden" name="client" value="${escapeHtml(c)}">`)}</td></tr>`,
          )
          .join('');
        return `<h3>${escapeHtml(a.integrationTitle)} for ${org(a.partyOrgNo)}</h3>
<table><tbody>${rows || '<tr><td class="muted">Ingen kunder ennå.</td></tr>'}</tbody></table>
<form method="post" action="${CONSOLE}/action"><input type="hidden" name="action" value="delegate"><input type="hidden" name="id" value="${a.id}">
<label>Legg til kunde (org.nr.) <input type="text" name="client" inputmode="numeric" pattern="\\d{9}" required></label>
<button class="btn small primary" type="submit">Legg til kunde</button></form>`;
      })
      .join('');
    const empty = (cols: number, text: string) => `<tr><td colspan="${cols}" class="muted">${text}</td></tr>`;
    return layout(
      'Oversikt',
      `<h1>Sandkassens verden</h1>
${message ? `<div class="box" role="status" id="melding">${escapeHtml(message)}</div>` : ''}
<section class="box"><h2>Ventende forespørsler</h2><table><thead><tr><th>System</th><th>For</th><th></th></tr></thead><tbody>${requestRows + changeRows || empty(3, 'Ingen forespørsler venter.')}</tbody></table></section>
<section class="box"><h2>Systembrukere</h2><table><thead><tr><th>Systembruker</th><th>Virksomhet</th><th>Referanse</th><th></th></tr></thead><tbody>${userRows || empty(4, 'Ingen systembrukere.')}</tbody></table></section>
<section class="box"><h2>Klientdelegeringer</h2>${agentBlocks || '<p class="muted">Ingen klientsystembrukere.</p>'}</section>
<section class="box"><h2>Systemer i systemregisteret</h2><table><thead><tr><th>System</th><th>Leverandør</th><th>Tilgang</th></tr></thead><tbody>${systemRows || empty(3, 'Ingen systemer.')}</tbody></table></section>
<section class="box"><h2>Siste beslutninger</h2><p class="muted">Det gatewayen spør PDP-en om (treff i beslutningscachen vises ikke), Maskinportens svar og endringer i Altinn. Oppdateres av seg selv.</p>
<table class="log"><thead><tr><th>Tid</th><th>Utfall</th><th>Hva</th></tr></thead><tbody id="log">${records.events
        .slice(-50)
        .reverse()
        .map(eventRow)
        .join('')}</tbody></table></section>`,
      LIVE_LOG_SCRIPT.replace('__LAST__', String(records.events.at(-1)?.seq ?? 0)),
    );
  }
}

const OUTCOME_CLASS: Record<string, string> = {
  Permit: 'ok',
  'token utstedt': 'ok',
  NotApplicable: 'no',
  Deny: 'no',
  'token nektet': 'no',
};

function eventRow(e: SandboxEvent): string {
  return `<tr data-seq="${e.seq}"><td>${escapeHtml(e.at.slice(11, 19))}</td><td class="${OUTCOME_CLASS[e.outcome] ?? ''}">${escapeHtml(e.outcome)}</td><td>${escapeHtml(e.text)}</td></tr>`;
}

/** Polls the event list every second and puts new lines on top; the page works without it too. */
const LIVE_LOG_SCRIPT = `let last=__LAST__;const cls=${JSON.stringify(OUTCOME_CLASS)};
const esc=s=>s.replace(/[&<>"']/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'})[c]);
async function poll(){try{const r=await fetch('/console/events?after='+last);const events=await r.json();
const body=document.getElementById('log');for(const e of events){last=Math.max(last,e.seq);
body.insertAdjacentHTML('afterbegin','<tr data-seq="'+e.seq+'"><td>'+esc(e.at.slice(11,19))+'</td><td class="'+(cls[e.outcome]||'')+'">'+esc(e.outcome)+'</td><td>'+esc(e.text)+'</td></tr>');}}catch{}setTimeout(poll,1000);}
setTimeout(poll,1000);`;
