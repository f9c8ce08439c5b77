// The Status tab: the installation's health as its admin needs it. Delivery to the helpdesk (paused after
// a 401 and why), dead letters with a retry button (admins), the inbox of webhook events (pending, failed
// and why, the oldest pending's age), the last summaries posted, and the settings versions (who saved
// them, when). Instants in the account's zone, and the viewer's when it differs.
import { api, canEdit, el, failureBox, fill, formatInstant, humanDuration, notify, viewerZone } from './ui.js';

const KINDS = {
  set_priority: 'Set the priority',
  add_tags: 'Add SLA tags',
  remove_tag: 'Remove an SLA tag',
  post_note: 'Post an internal note',
  post_report: 'Post a summary',
};
const APPLY_TO = { open_tickets: 'open and new tickets', new_tickets: 'new tickets only' };

let panel = null;
let zone = 'UTC';

export async function mount(node) {
  panel = node;
}

export async function show() {
  await load();
}

async function load() {
  const [status, delivery, versions] = await Promise.allSettled([
    api('GET', '/status'), api('GET', '/delivery'), api('GET', '/settings/versions')]);
  zone = status.status === 'fulfilled' ? status.value.timezone || 'UTC' : 'UTC';
  const part = (result, build) => (result.status === 'fulfilled' ? build(result.value) : card('', failureBox(result.reason)));
  fill(panel,
    el('div', { class: 'toolbar' },
      el('div', {},
        el('h2', {}, 'Status'),
        el('p', { class: 'muted small' }, status.status === 'fulfilled'
          ? `As of ${formatInstant(status.value.as_of, zone)}. Times in the account's zone (${zone})`
            + (zone === viewerZone ? '.' : ` and yours (${viewerZone}).`)
          : '')),
      el('div', { class: 'actions' }, el('button', { type: 'button', onclick: () => load() }, 'Refresh'))),
    part(delivery, deliveryCard),
    part(delivery, deadLettersCard),
    part(status, inboxCard),
    part(status, summariesCard),
    part(versions, versionsCard));
}

function card(title, ...children) {
  return el('section', { class: 'card status-card', 'aria-label': title || undefined },
    title ? el('h3', {}, title) : null, ...children);
}

/** An instant in the account's zone, and the viewer's on a second line when it differs. */
function when(iso) {
  if (!iso) return '—';
  const own = formatInstant(iso, zone);
  const theirs = formatInstant(iso, viewerZone);
  return el('span', { class: 'instant' }, own, own === theirs ? null : el('span', { class: 'muted small instant-viewer' }, `${theirs} your time`));
}

function deliveryCard(delivery) {
  const counts = delivery.commands || {};
  const figures = el('dl', { class: 'figures' },
    figure('Waiting to be sent', counts.pending), figure('Delivered', counts.done),
    figure('Dropped (ticket gone)', counts.gone), figure('Dead letters', counts.dead));
  if (delivery.paused) {
    return card('Delivery to your helpdesk',
      el('div', { class: 'status-alert status-bad', role: 'alert' },
        el('strong', {}, 'Paused: nothing is sent to your helpdesk.'),
        el('p', {}, delivery.paused_reason || 'The helpdesk refused the plugin\'s token.'),
        el('p', { class: 'small' }, 'Since ', when(delivery.paused_at)),
        el('p', { class: 'small' }, el('strong', {}, 'What to do: '),
          'install the SLA plugin again from your helpdesk\'s marketplace. The tags, notes and summaries '
          + 'waiting meanwhile are then sent.')),
      figures);
  }
  return card('Delivery to your helpdesk',
    el('p', { class: 'status-line' }, el('span', { class: 'badge badge-ok' }, 'Running'),
      ' Tags, notes, priorities and summaries reach your helpdesk.'),
    figures);
}

function figure(label, value) {
  return el('div', { class: 'figure' }, el('dt', {}, label), el('dd', {}, String(value ?? 0)));
}

function deadLettersCard(delivery) {
  const letters = delivery.dead_letters || [];
  if (!letters.length) {
    return card('Dead letters', el('p', { class: 'muted' }, 'None: the helpdesk accepted every call it was sent.'));
  }
  const retry = canEdit
    ? el('button', { type: 'button', class: 'primary admin-only', onclick: (event) => retryAll(event.currentTarget) },
      'Retry dead letters')
    : null;
  return card('Dead letters',
    el('div', { class: 'toolbar' },
      el('p', { class: 'muted small' }, `${letters.length} call${letters.length === 1 ? '' : 's'} the helpdesk never accepted. `
        + (canEdit ? 'Once the cause is fixed, send them again.' : 'An admin can send them again.')),
      retry ? el('div', { class: 'actions' }, retry) : null),
    el('div', { class: 'table-wrap' }, el('table', {},
      el('thead', {}, el('tr', {}, ['What', 'Ticket', 'Attempts', "The helpdesk's answer", 'Given up'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, letters.map((letter) => el('tr', {},
        el('td', {}, KINDS[letter.kind] || letter.kind),
        el('td', {}, letter.ticket_id ?? '—'),
        el('td', { class: 'num' }, String(letter.attempts)),
        el('td', { class: 'error-text' }, letter.last_error || '—'),
        el('td', {}, when(letter.done_at))))))));
}

async function retryAll(button) {
  button.disabled = true;
  try {
    const { retried } = await api('POST', '/delivery/dead-letters/retry', { body: {} });
    notify(`${retried} dead letter${retried === 1 ? '' : 's'} queued again.`, 'ok');
    await load();
  } catch (failure) {
    notify(`Not retried: ${failure.message}`, 'error');
    button.disabled = false;
  }
}

function inboxCard(status) {
  const inbox = status.inbox || {};
  const failed = status.failed_events || [];
  return card('Events from your helpdesk',
    el('dl', { class: 'figures' },
      figure('Waiting to be applied', inbox.pending), figure('Failed', inbox.failed),
      el('div', { class: 'figure' }, el('dt', {}, 'Oldest waiting for'),
        el('dd', {}, inbox.pending ? humanDuration(status.oldest_pending_age_seconds) : '—'))),
    failed.length
      ? el('div', { class: 'table-wrap' }, el('table', {},
        el('thead', {}, el('tr', {}, ['Ticket', 'Why it failed', 'Received', 'Webhook id'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, failed.map((event) => el('tr', {},
          el('td', {}, event.ticket_id ?? '—'),
          el('td', { class: 'error-text' }, event.error),
          el('td', {}, when(event.received_at)),
          el('td', { class: 'muted small' }, event.webhook_id))))))
      : el('p', { class: 'muted' }, 'No event failed.'));
}

function summariesCard(status) {
  const summaries = status.summaries || {};
  const row = (name, summary) => el('div', { class: 'figure summary-figure' },
    el('dt', {}, name),
    el('dd', {}, summary
      ? [el('span', {}, summary.title), el('br'), el('span', { class: 'muted small' }, 'posted '), when(summary.delivered_at)]
      : el('span', { class: 'muted' }, 'none posted yet')));
  return card('Summaries posted to your helpdesk',
    el('dl', { class: 'figures figures-wide' }, row('Last daily summary', summaries.daily), row('Last hourly summary', summaries.hourly)));
}

function versionsCard(body) {
  const versions = body.versions || [];
  if (!versions.length) return card('Settings versions', el('p', { class: 'muted' }, 'No settings saved yet.'));
  return card('Settings versions',
    el('div', { class: 'table-wrap' }, el('table', {},
      el('thead', {}, el('tr', {}, ['Version', 'Saved by', 'When', 'Applied to'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, versions.map((version, index) => el('tr', {},
        el('td', {}, String(version.version), index === 0 ? [' ', el('span', { class: 'badge badge-info' }, 'in force')] : null),
        el('td', {}, version.created_by),
        el('td', {}, when(version.created_at)),
        el('td', {}, APPLY_TO[version.apply_to] || version.apply_to)))))));
}
