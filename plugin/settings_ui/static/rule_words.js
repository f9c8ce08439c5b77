// Words for prioritization rules, shared by the rules panel, its editor and its tester.
export const FIELDS = [['subject', 'Subject'], ['body', 'Body'], ['requester_name', 'Requester name'],
  ['requester_email', 'Requester email'], ['requester_domain', 'Requester domain'], ['tags', 'Tags']];
export const OPERATORS = [['is', 'is'], ['is_not', 'is not'], ['contains', 'contains'], ['not_contains', 'does not contain'],
  ['starts_with', 'starts with'], ['ends_with', 'ends with'], ['in', 'is one of']];
const FIELD_WORDS = Object.fromEntries(FIELDS);
const OPERATOR_WORDS = Object.fromEntries(OPERATORS);

/** Subject contains “outage”; Tags is one of “vip”, “gold” */
export function describeCondition(condition) {
  const values = Array.isArray(condition.value) ? condition.value : [condition.value];
  return `${FIELD_WORDS[condition.field] || condition.field} ${OPERATOR_WORDS[condition.op] || condition.op} ${values.map((value) => `“${value}”`).join(', ')}`;
}

export const ruleLabel = (rule) => rule.name || rule.id;

/** Rules of one product and channel, as the plugin compares them (case and surrounding spaces do not count). */
const norm = (text) => String(text ?? '').trim().toLowerCase();
export const scopeKey = (rule) => `${norm(rule.product)}\u0000${norm(rule.channel)}`;

export function capital(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}
