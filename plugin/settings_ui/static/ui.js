// The embedded pages' toolkit: the session, calls to the admin API, DOM building (never innerHTML with
// data), form fields that show the API's validation problems next to the field they name, and formats.
// No dependencies; every request stays on the plugin's origin.

const sessionMeta = document.querySelector('meta[name="sla-session"]');
const session = {
  token: sessionMeta ? sessionMeta.content : '',
  endsAt: Date.now() + Number(sessionMeta ? sessionMeta.dataset.expiresIn : 0) * 1000,
};
if (sessionMeta) sessionMeta.remove(); // the token lives in this module's memory only

export const role = document.body.dataset.role || 'agent';
export const canEdit = role === 'admin';
export const viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** An error answer of the admin API: ``code`` and ``message`` as sent, ``problems`` as "path: message". */
export class ApiFailure extends Error {
  constructor(status, body) {
    super(body.message || `HTTP ${status}`);
    this.status = status;
    this.code = body.error || 'error';
    this.problems = Array.isArray(body.problems) ? body.problems : [];
  }
}

/** Call the admin API: ``path`` under /api/v1; JSON in and out (text for CSV, SVG); ``headers`` adds
 * request headers (e.g. If-Match). */
export async function api(method, path, { body, query, accept, headers: extra } = {}) {
  const url = new URL(`/api/v1${path}`, window.location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, value);
  }
  const headers = { ...(extra || {}), Authorization: `Bearer ${session.token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (accept) headers.Accept = accept;
  let response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiFailure(0, { error: 'network', message: 'The plugin could not be reached. Check your connection and try again.' });
  }
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  const payload = type.includes('json') ? await response.json() : await response.text();
  if (!response.ok) {
    const failure = new ApiFailure(response.status, typeof payload === 'object' && payload ? payload : { message: String(payload) });
    if (response.status === 401) sessionEnded(failure);
    throw failure;
  }
  return payload;
}

function sessionEnded(failure) {
  const message = Date.now() >= session.endsAt
    ? 'Your session has ended. Reload the helpdesk page to open the SLA settings again.'
    : `You are signed out (${failure.message}). Reload the helpdesk page to open the SLA settings again.`;
  notify(message, 'error', { sticky: true });
}

/** Build an element: ``el('button', {type: 'button', onclick: f, class: 'primary'}, 'Save')``. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key in node && typeof value !== 'string') node[key] = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace a node's content. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

let fieldCount = 0;

/**
 * A labelled form field. ``path`` is the name the API's problems use for it ("name",
 * "targets[0].minutes"); its message appears under the field.
 */
export function field(label, control, { path, hint, wide } = {}) {
  fieldCount += 1;
  const id = control.id || `f${fieldCount}`;
  control.id = id;
  const errorId = `${id}-error`;
  const described = [errorId];
  if (path) control.dataset.path = path;
  const hintNode = hint ? el('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintNode) described.push(hintNode.id);
  control.setAttribute('aria-describedby', described.join(' '));
  return el('div', { class: wide ? 'field wide' : 'field' },
    el('label', { for: id }, label),
    control,
    hintNode,
    el('p', { class: 'field-error', id: errorId, hidden: true }));
}

/** A <select> of ``options`` ([value, label] pairs or plain values). */
export function select(options, value, props = {}) {
  const node = el('select', props,
    options.map((option) => {
      const [optionValue, label] = Array.isArray(option) ? option : [option, option];
      return el('option', { value: optionValue }, label);
    }));
  node.value = value ?? '';
  return node;
}

/** Clear the problems a form showed. */
export function clearProblems(form) {
  for (const node of form.querySelectorAll('.field-error')) { node.hidden = true; node.textContent = ''; }
  for (const node of form.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
  const summary = form.querySelector('.form-error');
  if (summary) { summary.hidden = true; summary.replaceChildren(); }
}

/**
 * Show an API failure on a form: each "path: message" problem next to the control whose data-path is
 * that path (or the nearest enclosing one: "targets[0]" for "targets[0].metric"); the rest, and the
 * message of a failure without problems, in the form's summary box. Returns how many were placed.
 */
export function showProblems(form, failure) {
  clearProblems(form);
  let summary = form.querySelector('.form-error');
  if (!summary) {
    summary = el('div', { class: 'form-error', role: 'alert', tabindex: '-1', hidden: true });
    form.prepend(summary);
  }
  const unplaced = [];
  let first = null;
  const problems = failure.problems && failure.problems.length ? failure.problems : [];
  for (const problem of problems) {
    const split = problem.indexOf(': ');
    const path = split > 0 ? problem.slice(0, split).replace(/^body\./, '') : '';
    const message = split > 0 ? problem.slice(split + 2) : problem;
    const control = path ? controlFor(form, path) : null;
    if (!control) { unplaced.push(problem); continue; }
    const error = document.getElementById(`${control.id}-error`);
    if (error) {
      error.textContent = error.hidden ? message : `${error.textContent} ${message}`;
      error.hidden = false;
    }
    control.setAttribute('aria-invalid', 'true');
    first = first || control;
  }
  if (!problems.length) unplaced.push(failure.message);
  if (unplaced.length) {
    fill(summary, el('strong', {}, problems.length ? 'Please check:' : 'Not saved:'), el('ul', {}, unplaced.map((line) => el('li', {}, line))));
    summary.hidden = false;
  }
  (first || summary).focus?.();
  if (!first) summary.scrollIntoView?.({ block: 'nearest' });
  return problems.length - unplaced.length;
}

function controlFor(form, path) {
  let candidate = path;
  while (candidate) {
    const control = form.querySelector(`[data-path="${CSS.escape(candidate)}"]`);
    if (control) return control;
    const cut = Math.max(candidate.lastIndexOf('.'), candidate.lastIndexOf('['));
    candidate = cut > 0 ? candidate.slice(0, cut) : '';
  }
  return null;
}

let noticeTimer = null;

/** A short message in the page's live region: kind "ok", "error" or "info". */
export function notify(message, kind = 'ok', { sticky = false } = {}) {
  const notice = document.getElementById('notice');
  if (!notice) return;
  notice.className = `notice notice-${kind}`;
  notice.textContent = message;
  notice.hidden = false;
  clearTimeout(noticeTimer);
  if (!sticky) noticeTimer = setTimeout(() => { notice.hidden = true; }, kind === 'error' ? 8000 : 4000);
}

/** A panel's message for a failed load. */
export function failureBox(failure) {
  return el('div', { class: 'form-error', role: 'alert' }, failure.message || String(failure));
}

// -- formats ------------------------------------------------------------------------------------------

/** "45 s", "12 min", "3 h 05 min", "2 d 4 h" */
export function humanDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '—';
  const total = Math.max(0, Math.round(seconds));
  if (total < 60) return `${total} s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** "Tue 3 Mar 2026, 09:30 GMT+3" in ``zone`` (the viewer's when none). */
export function formatInstant(iso, zone = viewerZone) {
  if (!iso) return '—';
  const instant = new Date(iso);
  try {
    return new Intl.DateTimeFormat('en-GB', {
      timeZone: zone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric',
      hour: '2-digit', minute: '2-digit', timeZoneName: 'short',
    }).format(instant);
  } catch {
    return instant.toISOString();
  }
}

/** "70.0 %" */
export function percent(value) {
  return value === null || value === undefined ? '—' : `${Number(value).toFixed(1)} %`;
}

export const METRIC_LABELS = {
  first_response: 'First response',
  next_response: 'Next response',
  resolution: 'Resolution',
};
export const PRIORITIES = ['urgent', 'high', 'normal', 'low'];
export const CHANNELS = ['email', 'chat', 'phone', 'web', 'social'];

/** An identifier for a new item from its name ("Orange urgent email" → "orange-urgent-email"). */
export function slug(text, taken = []) {
  const base = (text || 'item').toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'item';
  let candidate = base;
  for (let n = 2; taken.includes(candidate); n += 1) candidate = `${base}-${n}`;
  return candidate;
}

/** Wait ``ms`` after the last call before running ``fn``. */
export function debounce(fn, ms = 300) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

/** Switch the settings app to another tab, handing its panel an intent (e.g. a rule to prefill). */
export function navigate(tab, intent = null) {
  document.dispatchEvent(new CustomEvent('sla:navigate', { detail: { tab, intent } }));
}
