import type { SendBatchSmsInput } from '../../src/sms/send/send-batch-sms.input';

type Plain = {
  taskContent: { templateId: string; senderId: string; target: { phone: string; templateParams?: string[] | null }[] }[];
  idempotencyKey?: string | null;
};

/** The input as the resolver receives it: plain objects, as GraphQL coerced the variables (see src/graphql/schema.ts). */
export function inputOf(plain: Plain): SendBatchSmsInput {
  return plain;
}
