import type { SmsSendPreviewQuery } from '../../generated/graphql';

type Answer = SmsSendPreviewQuery['smsSendPreview'];
type Preview = Extract<Answer, { __typename: 'SmsSendPreview' }>;

/** What the batch will send and cost, before it is sent: totals, a warning for split or UCS-2 messages, each message as it will read. */
export function PreviewPanel({ preview }: { preview: Preview }) {
  const split = preview.messages.filter((m) => (m.segments ?? 1) > 1).length;
  const ucs2 = preview.messages.filter((m) => m.encoding === 'UCS_2').length;
  return (
    <section id="preview" aria-live="polite">
      <h2>
        {preview.recipients} recipient(s),{' '}
        {preview.segments === null ? 'cost unknown (templates could not be looked up)' : `${preview.segments} SMS billed`}
      </h2>
      {(split > 0 || ucs2 > 0) && (
        <p className="warning">
          {split > 0 && `${split} message(s) are split into several SMS, each billed. `}
          {ucs2 > 0 && `${ucs2} message(s) use UCS-2 (a character outside GSM-7): 70 characters an SMS instead of 160.`}
        </p>
      )}
      {preview.rateLimit && <p className="warning">Sending now would be refused: {preview.rateLimit.message}</p>}
      <table className="messages">
        <thead>
          <tr>
            <th>target</th>
            <th>Phone</th>
            <th>Message</th>
            <th>SMS</th>
          </tr>
        </thead>
        <tbody>
          {preview.messages.map((m) => (
            <tr key={m.path.join('.')}>
              <td>{m.path[3]}</td>
              <td>{m.phone}</td>
              <td className="text">{m.text ?? '(unknown)'}</td>
              <td>{m.segments === null ? '?' : `${m.segments} (${m.encoding === 'UCS_2' ? 'UCS-2' : 'GSM-7'}, ${m.characters})`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
