// The rep's ticket sidebar (320 px): each SLA target of the ticket, with a live countdown in business time.
//
// GET /tickets/{id}/countdown gives each running target the clock it runs on: its calendar (or 24/7), the
// business seconds left at ``as_of`` and the calendar's open intervals until the due instant. The page
// counts down every second from those, without asking again, and only while an interval holds "now";
// between intervals it says when the clock resumes. It asks again every 30 s.
import { ApiFailure, METRIC_LABELS, api, el, fill, formatInstant, humanDuration, viewerZone } from './ui.js';

const REFRESH_MS = 30_000;
const ORDER = { active: 0, paused: 1, breached: 2, met: 3, cancelled: 4 };
const ticketId = document.body.dataset.ticket || '';
const root = document.getElementById('sidebar-targets');
const policyLine = document.getElementById('sidebar-policy');
const statusLine = document.getElementById('sidebar-status');

let answer = null; // the last countdown answer
let asOf = 0; // its as_of, in ms
let receivedAt = 0; // Date.now() when it arrived
let cards = []; // [{target, nodes}] of the cards shown

/** The SLA clock now, in ms: the answer's as_of, run on by the time since it arrived. */
function slaNow() {
  return asOf + (Date.now() - receivedAt);
}

const ms = (iso) => (iso ? Date.parse(iso) : null);

async function refresh() {
  try {
    const fresh = await api('GET', `/tickets/${encodeURIComponent(ticketId)}/countdown`);
    answer = fresh;
    asOf = ms(fresh.as_of);
    receivedAt = Date.now();
    render();
    statusLine.textContent = `Updated ${clockTime(Date.now(), viewerZone)} · refreshes every 30 s`;
  } catch (failure) {
    if (failure instanceof ApiFailure && failure.status === 404) {
      answer = null;
      render();
      statusLine.textContent = '';
    } else {
      statusLine.textContent = `Could not refresh: ${failure.message}`;
      if (!answer) fill(root, el('div', { class: 'form-error', role: 'alert' }, failure.message));
    }
  }
}

function render() {
  cards = [];
  const targets = answer ? [...answer.targets].sort(byAttention) : [];
  if (!targets.length) {
    policyLine.hidden = true;
    fill(root, el('div', { class: 'sidebar-empty' },
      el('p', { class: 'sidebar-empty-title' }, 'No SLA applies to this ticket (yet)'),
      el('p', { class: 'muted small' }, answer
        ? 'No SLA policy matches its product, channel and priority.'
        : 'The SLA plugin has not seen this ticket yet, or no SLA policy matches it. This panel checks again every 30 seconds.')));
    return;
  }
  policyLine.hidden = false;
  fill(policyLine, el('span', {}, `Policy: ${answer.policy_name || answer.policy || '—'}`),
    answer.priority ? el('span', { class: `badge priority-${answer.priority}` }, answer.priority) : null);
  fill(root, targets.map((target) => {
    const nodes = {};
    const card = el('article', { class: 'target-card', 'aria-label': label(target) },
      el('div', { class: 'target-head' },
        el('h2', { class: 'target-name' }, label(target)),
        nodes.badge = el('span', { class: 'badge' })),
      nodes.countdown = el('p', { class: 'countdown', 'aria-live': 'off' }),
      nodes.sentence = el('p', { class: 'target-sentence' }),
      nodes.detail = el('p', { class: 'target-detail muted small' }));
    nodes.card = card;
    cards.push({ target, nodes });
    return card;
  }));
  tick();
}

function byAttention(a, b) {
  return (ORDER[a.status] ?? 9) - (ORDER[b.status] ?? 9)
    || (ms(a.due_at) ?? Infinity) - (ms(b.due_at) ?? Infinity)
    || a.cycle - b.cycle;
}

function label(target) {
  const name = METRIC_LABELS[target.metric] || target.metric;
  return target.metric === 'next_response' && target.cycle > 1 ? `${name} #${target.cycle}` : name;
}

/** Update every card's texts for this second (the DOM is built once per answer). */
function tick() {
  const now = slaNow();
  for (const { target, nodes } of cards) {
    const view = describe(target, now);
    nodes.card.className = `target-card state-${view.state}`;
    nodes.badge.className = `badge ${view.badgeClass}`;
    nodes.badge.textContent = view.badge;
    nodes.countdown.textContent = view.countdown;
    nodes.countdown.hidden = !view.countdown;
    nodes.sentence.textContent = view.sentence;
    fill(nodes.detail, ...view.detail.flatMap((line, index) => (index ? [el('br'), line] : [line])));
  }
}

function describe(target, now) {
  const name = label(target);
  const zone = (target.clock && target.clock.timezone) || (answer && answer.timezone) || 'UTC';
  const clockName = clockLabel(target.clock);
  if (target.status === 'breached') {
    const breachedAt = ms(target.breached_at);
    return {
      state: 'breached', badge: 'Breached', badgeClass: 'badge-bad', countdown: '',
      sentence: `${name} breached ${ago(now - breachedAt)}`,
      detail: instantLines('Was due', target.breached_at, zone),
    };
  }
  if (target.status === 'met') {
    return {
      state: 'met', badge: 'Met', badgeClass: 'badge-ok', countdown: '',
      sentence: `${name} met`,
      detail: [...instantLines('At', target.stopped_at, zone), ...instantLines('Was due', target.due_at, zone)],
    };
  }
  if (target.status === 'cancelled') {
    return {
      state: 'cancelled', badge: 'No longer applies', badgeClass: 'badge-muted', countdown: '',
      sentence: `${name} no longer applies: the ticket's SLA policy changed.`, detail: [],
    };
  }
  if (target.status === 'paused') {
    const left = target.clock ? target.clock.remaining_seconds : target.target_seconds - target.business_seconds;
    return {
      state: 'paused', badge: 'Paused', badgeClass: 'badge-muted', countdown: digits(left),
      sentence: `${name} paused — ${humanDuration(left)} left`,
      detail: ['The clock runs again when the ticket leaves its waiting status.', clockName].filter(Boolean),
    };
  }
  // active
  const { left, open, resumesAt } = remaining(target, now);
  const due = instantLines('Due', target.due_at, zone);
  if (left <= 0) {
    return {
      state: 'breached', badge: 'Breached', badgeClass: 'badge-bad', countdown: digits(0),
      sentence: `${name} breached ${ago(now - ms(target.due_at))}`, detail: due,
    };
  }
  const atRisk = target.at_risk || (target.warn_at && ms(target.warn_at) <= now);
  const sentence = open
    ? `${name} due in ${humanDuration(left)} — ${clockName}`
    : `${name}: ${humanDuration(left)} left — resumes ${resumesAt ? clockTime(resumesAt, zone, true) : 'later'}`;
  return {
    state: atRisk ? 'at-risk' : 'running',
    badge: atRisk ? 'At risk' : open ? 'Running' : 'Outside hours',
    badgeClass: atRisk ? 'badge-warn' : open ? 'badge-info' : 'badge-muted',
    countdown: digits(left),
    sentence,
    detail: open ? due : [...due, clockName],
  };
}

/**
 * Business seconds left at ``now``, whether the clock runs at ``now``, and when it next opens. The answer's
 * remaining_seconds hold at as_of; from then on only time inside an open interval counts.
 */
function remaining(target, now) {
  const clock = target.clock;
  if (!clock) { // no calendar known: the wall clock to the due instant
    return { left: Math.ceil((ms(target.due_at) - now) / 1000), open: true, resumesAt: null };
  }
  let spent = 0;
  let open = false;
  let resumesAt = null;
  for (const interval of clock.open_intervals) {
    const start = ms(interval.start);
    const end = ms(interval.end);
    if (start <= now && now < end) open = true;
    if (start > now && resumesAt === null) resumesAt = start;
    spent += Math.max(0, Math.min(end, now) - Math.max(start, asOf));
  }
  if (!clock.open_intervals.length) open = false;
  return { left: Math.ceil(clock.remaining_seconds - spent / 1000), open, resumesAt };
}

function clockLabel(clock) {
  if (!clock) return '';
  if (!clock.calendar) return '24/7';
  const name = clock.calendar_name ? ` (${clock.calendar_name})` : '';
  return `business hours, ${clock.timezone}${name}`;
}

/** "12:05" (min:s), "3:10:05" (h:min:s), "2 d 03:10:05". */
function digits(seconds) {
  const total = Math.max(0, Math.round(seconds));
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = total % 60;
  const two = (n) => String(n).padStart(2, '0');
  if (days) return `${days} d ${two(hours)}:${two(minutes)}:${two(secs)}`;
  if (hours) return `${hours}:${two(minutes)}:${two(secs)}`;
  return `${two(minutes)}:${two(secs)}`;
}

function ago(milliseconds) {
  const seconds = Math.max(0, milliseconds / 1000);
  return seconds < 60 ? 'just now' : `${humanDuration(seconds)} ago`;
}

/** "Due Tue 3 Mar 2026, 09:30 GMT+3", and the viewer's time on a second line when their zone differs. */
function instantLines(prefix, iso, zone) {
  if (!iso) return [];
  const lines = [`${prefix} ${formatInstant(iso, zone)}`];
  if (sameOffset(iso, zone, viewerZone)) return lines;
  return [...lines, `(${formatInstant(iso, viewerZone)} your time)`];
}

function sameOffset(iso, zone, other) {
  const show = (z) => new Intl.DateTimeFormat('en-GB', { timeZone: z, hour: '2-digit', minute: '2-digit', day: 'numeric' }).format(new Date(iso));
  try { return zone === other || show(zone) === show(other); } catch { return true; }
}

/** "Mon 09:00" (with the weekday) or "10:31", in ``zone``. */
function clockTime(instant, zone, weekday = false) {
  try {
    return new Intl.DateTimeFormat('en-GB', {
      timeZone: zone, hour: '2-digit', minute: '2-digit', ...(weekday ? { weekday: 'short' } : {}),
    }).format(new Date(instant));
  } catch {
    return new Date(instant).toISOString();
  }
}

await refresh();
setInterval(tick, 1000);
setInterval(refresh, REFRESH_MS);
