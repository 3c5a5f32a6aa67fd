import 'reflect-metadata';
import { SendBatchSmsInput, SmsTargetInput, SmsTaskInput } from '../../src/sms/send-batch-sms.input';

type Plain = {
  taskContent: { templateId: string; senderId: string; target: { phone: string; templateParams?: string[] | null }[] }[];
  idempotencyKey?: string | null;
};

/** The input as type-graphql hands it to the resolver: instances of the input classes. */
export function inputOf(plain: Plain): SendBatchSmsInput {
  return Object.assign(new SendBatchSmsInput(), {
    ...(plain.idempotencyKey !== undefined ? { idempotencyKey: plain.idempotencyKey } : {}),
    taskContent: plain.taskContent.map((task) =>
      Object.assign(new SmsTaskInput(), { ...task, target: task.target.map((target) => Object.assign(new SmsTargetInput(), target)) }),
    ),
  });
}
