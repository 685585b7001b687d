'use strict';
// A small IAM policy evaluator for the tests: does a set of statements allow (or deny) one
// request? It knows the condition operators the template uses and throws on any other, so a new
// condition cannot pass a test by being ignored. Template values are rendered to strings first:
// Ref to a parameter becomes the value given in `params`, any other Ref or Fn::GetAtt becomes
// "<LogicalId>" or "<LogicalId.Attribute>".

function render(value, params = {}) {
  if (typeof value === 'string') return value;
  if (value.Ref !== undefined) return value.Ref in params ? params[value.Ref] : `<${value.Ref}>`;
  if (value['Fn::GetAtt']) return `<${value['Fn::GetAtt'].join('.')}>`;
  if (value['Fn::Join']) return value['Fn::Join'][1].map((v) => render(v, params)).join(value['Fn::Join'][0]);
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

// IAM's wildcards: * any run of characters, ? one character.
function globMatches(pattern, text) {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(text);
}

const OPERATORS = {
  Null: (v, want) => (v === undefined) === (want === 'true'),
  StringEquals: (v, want) => v !== undefined && v === want,
  StringLike: (v, want) => v !== undefined && globMatches(want, v),
  Bool: (v, want) => v !== undefined && String(v) === want,
  DateLessThan: (v, want) => v !== undefined && Date.parse(v) < Date.parse(want),
};

// True if every condition of the statement holds for the request context.
function conditionsHold(conditions, context, params) {
  for (const [op, tests] of Object.entries(conditions || {})) {
    const check = OPERATORS[op];
    if (!check) throw new Error(`the evaluator does not know the condition operator ${op}`);
    for (const [key, wanted] of Object.entries(tests)) {
      const values = [].concat(wanted).map((w) => render(w, params));
      if (!values.some((w) => check(context[key], w))) return false;
    }
  }
  return true;
}

function applies(st, action, resource, context, params) {
  const actions = [].concat(st.Action);
  const resources = [].concat(st.Resource).map((r) => render(r, params));
  return actions.some((a) => globMatches(a, action)) &&
    resources.some((r) => globMatches(r, resource)) &&
    conditionsHold(st.Condition, context, params);
}

// 'deny' if a Deny statement applies, 'allow' if an Allow does, else 'implicit-deny'.
function decide(statements, { action, resource, context = {}, params = {} }) {
  if (statements.some((s) => s.Effect === 'Deny' && applies(s, action, resource, context, params))) return 'deny';
  if (statements.some((s) => s.Effect === 'Allow' && applies(s, action, resource, context, params))) return 'allow';
  return 'implicit-deny';
}

module.exports = { decide, render };
