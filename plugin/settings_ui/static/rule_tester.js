// The rule tester of the rules panel: a sample ticket, filled in or pasted as the host's JSON, tried on the
// rules in force by the server (POST /rules/explain: the plugin's one matcher, condition by condition): the
// rule that fires, why, the priority it sets and the SLA policy that then applies.
import { api, clearProblems, el, failureBox, field, fill, showProblems } from './ui.js';
import { capital, describeCondition, ruleLabel } from './rule_words.js';

export function testerCard() {
  const inputs = {
    product: el('input', { type: 'text', list: 'rule-products', autocomplete: 'off' }),
    channel: el('input', { type: 'text', list: 'rule-channels', autocomplete: 'off' }),
    subject: el('input', { type: 'text', autocomplete: 'off' }),
    body: el('textarea', { rows: 3 }),
    requesterName: el('input', { type: 'text', autocomplete: 'off' }),
    requesterEmail: el('input', { type: 'email', autocomplete: 'off' }),
    tags: el('input', { type: 'text', autocomplete: 'off', placeholder: 'vip, billing' }),
    json: el('textarea', { rows: 4, spellcheck: 'false', class: 'code', placeholder: '{"product": "Orange", "channel": "email", "subject": "Outage", "requester": {"email": "ada@example.com"}}' }),
  };
  const result = el('div', { class: 'tester-result', 'aria-live': 'polite' });
  const form = el('form', { class: 'card rule-tester', novalidate: true, 'aria-label': 'Rule tester', onsubmit: (event) => { event.preventDefault(); runTest(form, inputs, result); } },
    el('h3', {}, 'Test the rules'),
    el('p', { class: 'muted small' }, 'Describe a new ticket to see which rule would set its priority, why, and the SLA policy that would then apply. Nothing is saved.'),
    el('div', { class: 'form-error', role: 'alert', tabindex: '-1', hidden: true }),
    el('div', { class: 'grid' },
      field('Ticket product', inputs.product, { path: 'product' }),
      field('Ticket channel', inputs.channel, { path: 'channel' }),
      field('Subject', inputs.subject, { path: 'subject', wide: true }),
      field('Body', inputs.body, { path: 'body', wide: true }),
      field('Requester name', inputs.requesterName, { path: 'requester.name' }),
      field('Requester email', inputs.requesterEmail, { path: 'requester.email' }),
      field('Tags', inputs.tags, { path: 'tags', hint: 'Comma-separated' })),
    el('details', { class: 'paste-ticket' },
      el('summary', {}, 'Or paste a ticket (JSON)'),
      field('Ticket JSON', inputs.json, { path: 'ticket_json', wide: true, hint: 'Your helpdesk\'s ticket object, or a whole ticket.created webhook body; it fills in the fields above.' }),
      el('button', { type: 'button', onclick: () => usePasted(form, inputs, result) }, 'Use this ticket')),
    el('div', { class: 'form-actions' }, el('button', { type: 'submit', class: 'primary' }, 'Test')),
    result);
  return form;
}

function usePasted(form, inputs, result) {
  clearProblems(form);
  let ticket;
  try {
    ticket = JSON.parse(inputs.json.value);
  } catch (error) {
    showProblems(form, { problems: [`ticket_json: not valid JSON (${error.message})`], message: '' });
    return;
  }
  if (ticket && typeof ticket === 'object' && ticket.data && typeof ticket.data === 'object' && ticket.data.ticket) ticket = ticket.data.ticket;
  else if (ticket && typeof ticket === 'object' && ticket.ticket && typeof ticket.ticket === 'object') ticket = ticket.ticket;
  if (!ticket || typeof ticket !== 'object' || Array.isArray(ticket)) {
    showProblems(form, { problems: ['ticket_json: a ticket is a JSON object'], message: '' });
    return;
  }
  const text = (value) => (value === null || value === undefined ? '' : String(value));
  const requester = ticket.requester && typeof ticket.requester === 'object' ? ticket.requester : {};
  inputs.product.value = text(ticket.product);
  inputs.channel.value = text(ticket.channel);
  inputs.subject.value = text(ticket.subject);
  inputs.body.value = text(ticket.body);
  inputs.requesterName.value = text(requester.name);
  inputs.requesterEmail.value = text(requester.email);
  inputs.tags.value = Array.isArray(ticket.tags) ? ticket.tags.join(', ') : text(ticket.tags);
  runTest(form, inputs, result);
}

async function runTest(form, inputs, result) {
  clearProblems(form);
  const orNull = (value) => (value.trim() === '' ? null : value);
  const ticket = {
    product: orNull(inputs.product.value),
    channel: orNull(inputs.channel.value),
    subject: inputs.subject.value,
    body: inputs.body.value,
    requester: { name: inputs.requesterName.value, email: inputs.requesterEmail.value },
    tags: inputs.tags.value.split(',').map((tag) => tag.trim()).filter(Boolean),
  };
  let answer;
  try {
    answer = await api('POST', '/rules/explain', { body: ticket });
  } catch (failure) {
    fill(result);
    if (!showProblems(form, failure)) fill(result, failureBox(failure));
    return;
  }
  fill(result, explanation(answer, ticket));
}

function explanation(answer, ticket) {
  const fired = answer.tried.find((rule) => rule.fires);
  const before = answer.tried.filter((rule) => rule.in_scope && !rule.fires);
  const skipped = answer.tried.filter((rule) => !rule.in_scope).length;
  const policyLine = answer.policy
    ? el('p', {}, 'SLA policy that then applies: ', el('strong', { class: 'tester-policy' }, answer.policy_name))
    : el('p', { class: 'muted' }, `No enabled SLA policy covers ${ticket.product ?? '(no product)'} / ${ticket.channel ?? '(no channel)'} / ${answer.priority}: such a ticket gets no SLA targets.`);
  return el('div', { class: answer.rule ? 'inline-info tester-answer' : 'inline-warning tester-answer' },
    el('p', { class: 'tester-verdict' }, answer.rule
      ? [el('strong', {}, `Rule “${answer.rule_name}” fires`), ' → priority ', el('span', { class: `badge priority-${answer.priority}` }, capital(answer.priority))]
      : [el('strong', {}, 'No rule matched'), `: priority ${answer.priority}`]),
    el('p', { class: 'tester-reason' }, 'Why: ', answer.reason, '.'),
    fired && fired.conditions.length ? el('ul', { class: 'checklist', 'aria-label': 'Its conditions' },
      fired.conditions.map(conditionLine)) : null,
    policyLine,
    before.length ? el('details', {},
      el('summary', {}, `${before.length} rule${before.length === 1 ? '' : 's'} for this product and channel tried first`),
      el('ul', {}, before.map((rule) => el('li', {}, el('strong', {}, `“${ruleLabel(rule)}”`),
        rule.match === 'any' ? ': none of its conditions held' : ': not all of its conditions held',
        el('ul', { class: 'checklist' }, rule.conditions.map(conditionLine)))))) : null,
    skipped ? el('p', { class: 'muted small' }, `${skipped} rule${skipped === 1 ? ' is' : 's are'} for other products or channels.`) : null);
}

function conditionLine(check) {
  const seen = check.seen.some((value) => value !== '') ? check.seen.map((value) => `“${value.length > 80 ? `${value.slice(0, 80)}…` : value}”`).join(', ') : 'nothing';
  return el('li', { class: check.holds ? 'holds' : 'fails' },
    el('span', { class: 'mark', 'aria-hidden': 'true' }, check.holds ? '✓' : '✗'),
    ` ${describeCondition(check)} — `, el('span', { class: 'muted' }, `${check.holds ? 'holds' : 'does not hold'} (the ticket has ${seen})`));
}
