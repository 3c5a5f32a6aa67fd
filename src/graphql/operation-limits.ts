import { ApolloArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, Kind, OperationTypeNode, type ASTVisitor, type SelectionSetNode, type ValidationContext } from 'graphql';

/** Armor's limits on an operation's shape. A 1000-target batch sent as variables is a few dozen tokens. */
export const OPERATION_LIMITS = Object.freeze({ maxDepth: 8, maxAliases: 15, maxDirectives: 20, maxTokens: 1000, maxCost: 5000 });

function sendKeys(selectionSet: SelectionSetNode, context: ValidationContext, keys: Set<string>, seen: Set<string>): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value === 'sendBatchSms') keys.add(selection.alias?.value ?? selection.name.value);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      sendKeys(selection.selectionSet, context, keys, seen);
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = context.getFragment(selection.name.value);
      if (fragment) sendKeys(fragment.selectionSet, context, keys, seen);
    }
  }
}

/**
 * At most one `sendBatchSms` per operation. Aliases would otherwise turn one request into many
 * batches, past the per-request limits; Armor's alias limit counts aliases, not sends. Fields with the
 * same response key merge into one execution, so they count once.
 */
function oneSendPerOperation(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(node) {
      if (node.operation === OperationTypeNode.MUTATION) {
        const keys = new Set<string>();
        sendKeys(node.selectionSet, context, keys, new Set());
        if (keys.size > 1) {
          context.reportError(
            new GraphQLError('An operation may contain at most one sendBatchSms: put every task in one batch.', { nodes: [node] }),
          );
        }
      }
      return false;
    },
  };
}

/** Armor's plugins and validation rules, `oneSendPerOperation` and the token limit, for the ApolloServer options. */
export function operationProtection(hideSuggestions: boolean) {
  const { plugins, validationRules } = new ApolloArmor({
    maxDepth: { n: OPERATION_LIMITS.maxDepth },
    maxAliases: { n: OPERATION_LIMITS.maxAliases },
    maxDirectives: { n: OPERATION_LIMITS.maxDirectives },
    // graphql-js counts tokens itself while parsing (parseOptions below): Armor's plugin parses a
    // second time and its rejection reaches the client as an HTTP 500.
    maxTokens: { enabled: false },
    costLimit: { maxCost: OPERATION_LIMITS.maxCost },
    // Suggestions map the schema for someone without introspection; they help while developing.
    blockFieldSuggestion: { enabled: hideSuggestions },
  }).protect();
  return {
    plugins,
    validationRules: [...validationRules, oneSendPerOperation],
    parseOptions: { maxTokens: OPERATION_LIMITS.maxTokens },
  };
}
