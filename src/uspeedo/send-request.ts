import type { SendBatchUSMSMessageRequest, UspeedoTarget, UspeedoTask } from './uspeedo.types';

// The send's body, built here so that no code outside src/uspeedo/ names its fields. Key order is the
// spec's, so a body serialises exactly as the spec's examples do.

/** One recipient: its number as uSpeedo will read it, and its params, left out (not empty) when there are none. */
export const sendTarget = (phone: string, params: string[] | null | undefined): UspeedoTarget =>
  params && params.length > 0 ? { Phone: phone, TemplateParams: params } : { Phone: phone };

/** One task: a template and sender, and its recipients. */
export const sendTask = (templateId: string, senderId: string, targets: UspeedoTarget[]): UspeedoTask => ({
  TemplateId: templateId,
  SenderId: senderId,
  Target: targets,
});

/** The body of `POST /api/v1/usms/SendBatchUSMSMessage`. */
export const sendRequest = (tasks: UspeedoTask[]): SendBatchUSMSMessageRequest => ({ TaskContent: tasks });

/**
 * The batch with every number written one way (`numberAt(i)`: the i-th recipient's, in order, E.164
 * say): two bodies that differ only in how their numbers are written (`13800138000`, `+8613800138000`,
 * `(86)13800138000`) give the same text, so an idempotency key sees the same batch.
 */
export function sameBatchText(request: SendBatchUSMSMessageRequest, numberAt: (index: number) => string): string {
  let index = 0;
  return JSON.stringify(
    request.TaskContent.map((task) => [
      task.TemplateId,
      task.SenderId,
      task.Target.map((target) => [numberAt(index++), target.TemplateParams ?? null]),
    ]),
  );
}

/**
 * The batch without some recipients (`skip`: their indexes, counted in order across tasks); a task
 * left with none is left out.
 */
export function withoutRecipients(request: SendBatchUSMSMessageRequest, skip: ReadonlySet<number>): SendBatchUSMSMessageRequest {
  let index = 0;
  const tasks = request.TaskContent.map((task) => ({ ...task, Target: task.Target.filter(() => !skip.has(index++)) }));
  return sendRequest(tasks.filter((task) => task.Target.length > 0));
}
