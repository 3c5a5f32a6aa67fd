import { ApolloArmor } from '@escape.tech/graphql-armor';
import { FEATURES } from '../sms/features';
import { GraphQLError, Kind, OperationTypeNode, type ASTVisitor, type SelectionSetNode, type ValidationContext } from 'graphql';

/** Armor's limits on an operation's shape. A 1000-target batch sent as variables is a few dozen tokens. */
export const OPERATION_LIMITS = Object.freeze({ maxDepth: 8, maxAliases: 15, maxDirectives: 20, maxTokens: 1000, maxCost: 5000 });

/** Root fields that may run once per operation, with what to do instead: the features' own policies. */
const ONCE_PER_OPERATION: Readonly<Record<string, string>> = Object.fromEntries(
  FEATURES.flatMap((feature) => Object.entries(feature.rootFields ?? {})).flatMap(([field, policy]) =>
    policy.once ? [[field, policy.once]] : [],
  ),
);

// The response keys of each once-only root field, through fragments.
function rootKeys(selectionSet: SelectionSetNode, context: ValidationContext, keys: Map<string, Set<string>>, seen: Set<string>): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      if (name in ONCE_PER_OPERATION) {
        const forName = keys.get(name) ?? new Set<string>();
        forName.add(selection.alias?.value ?? name);
        keys.set(name, forName);
      }
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      rootKeys(selection.selectionSet, context, keys, seen);
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = context.getFragment(selection.name.value);
      if (fragment) rootKeys(fragment.selectionSet, context, keys, seen);
    }
  }
}

/**
 * At most one of each root field a feature says runs once per operation (`sendBatchSms`,
 * `smsDeliveryStatus`, `smsTemplates`, `smsSendPreview`). Aliases
 * would otherwise turn one request into many batches or lookups, past the per-request limits (15
 * aliases of 100 template ids were 1500 upstream lookups a request); Armor's alias limit counts
 * aliases, not calls. Fields with the same response key merge into one execution, so they count once.
 */
function onceOnlyFields(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(node) {
      if (node.operation === OperationTypeNode.SUBSCRIPTION) return false;
      const keys = new Map<string, Set<string>>();
      rootKeys(node.selectionSet, context, keys, new Set());
      for (const [name, forName] of keys) {
        if (forName.size > 1) {
          context.reportError(
            new GraphQLError(`An operation may contain at most one ${name}: ${ONCE_PER_OPERATION[name]}.`, { nodes: [node] }),
          );
        }
      }
      return false;
    },
  };
}

/** Armor's plugins and validation rules, `onceOnlyFields` and the token limit, for the ApolloServer options. */
export function operationProtection() {
  const { plugins, validationRules } = new ApolloArmor({
    maxDepth: { n: OPERATION_LIMITS.maxDepth },
    maxAliases: { n: OPERATION_LIMITS.maxAliases },
    maxDirectives: { n: OPERATION_LIMITS.maxDirectives },
    // graphql-js counts tokens itself while parsing (parseOptions below): Armor's plugin parses a
    // second time and its rejection reaches the client as an HTTP 500.
    maxTokens: { enabled: false },
    costLimit: { maxCost: OPERATION_LIMITS.maxCost },
    // Apollo's own hideSchemaDetailsFromClientErrors hides suggestions (see graphql.plugin.ts). Armor's
    // plugin rewrote every error's message in place, and threw on errors whose message is read-only
    // (a resolver's FORBIDDEN, an APQ mismatch): a documented 403 became a 500.
    blockFieldSuggestion: { enabled: false },
  }).protect();
  return {
    plugins,
    validationRules: [...validationRules, onceOnlyFields],
    parseOptions: { maxTokens: OPERATION_LIMITS.maxTokens },
  };
}
