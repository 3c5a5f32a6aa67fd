import { useApolloClient } from '@apollo/client/react';
import { useEffect, useState } from 'react';
import { SmsDeliveryStatusDocument, type SmsDeliveryStatusQuery } from '../../generated/graphql';

type Answer = SmsDeliveryStatusQuery['smsDeliveryStatus'];
type Session = Extract<Answer, { __typename: 'SmsDeliveryStatus' }>['sessions'][number];

/** Receipts that will not change. */
const FINAL = new Set(['DELIVERED', 'FAILED', 'SUBMIT_FAILED']);
/** Give up polling after this long: uSpeedo says receipts take 5 to 10 minutes. */
const GIVE_UP_MS = 12 * 60_000;
/** The longest wait between two polls. */
const MAX_WAIT_MS = 60_000;

// Final when every recipient uSpeedo accepted has a receipt, and every receipt is final.
const settled = (sessions: readonly Session[], expected: number) =>
  sessions.flatMap((s) => s.receipts).length >= expected && sessions.every((s) => s.known && s.receipts.every((r) => FINAL.has(r.status)));

/**
 * Each recipient's delivery status, polled with backoff (the first wait doubling up to a minute)
 * until every receipt is final or twelve minutes have passed. Polling is a read: safe to repeat.
 */
export function DeliveryStatus({ sessionNos, recipients, firstWaitMs }: { sessionNos: string[]; recipients: number; firstWaitMs: number }) {
  const client = useApolloClient();
  const [sessions, setSessions] = useState<Session[]>([]);
  const [note, setNote] = useState('Waiting for delivery receipts…');

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const started = Date.now();
    const poll = async (wait: number) => {
      let next = Math.min(wait * 2, MAX_WAIT_MS);
      try {
        const { data } = await client.query({ query: SmsDeliveryStatusDocument, variables: { sessionNos }, fetchPolicy: 'network-only' });
        const answer = data?.smsDeliveryStatus;
        if (stopped || !answer) return;
        if (answer.__typename === 'SmsDeliveryStatus') {
          setSessions(answer.sessions);
          if (settled(answer.sessions, recipients)) return void setNote('Every receipt is final.');
          setNote('Waiting for more receipts…');
        } else {
          setNote(`${answer.code}: ${answer.message}`);
          if (!answer.retryable) return;
          if (answer.retryAfterSeconds) next = Math.max(next, answer.retryAfterSeconds * 1000);
        }
      } catch {
        if (!stopped) setNote('Could not reach the server; trying again…');
      }
      if (stopped) return;
      if (Date.now() - started > GIVE_UP_MS) return void setNote('Stopped waiting: some receipts have not arrived. Look again later.');
      timer = setTimeout(() => void poll(next), wait);
    };
    timer = setTimeout(() => void poll(firstWaitMs), firstWaitMs);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [client, sessionNos, recipients, firstWaitMs]);

  const receipts = sessions.flatMap((s) => s.receipts);
  return (
    <div id="delivery" data-settled={settled(sessions, recipients) ? 'true' : 'false'}>
      <h3>Delivery</h3>
      {receipts.length > 0 && (
        <table className="receipts">
          <thead>
            <tr>
              <th>Phone</th>
              <th>Status</th>
              <th>Detail</th>
            </tr>
          </thead>
          <tbody>
            {receipts.map((r) => (
              <tr key={r.phone} className={r.status.toLowerCase()}>
                <td>{r.phone}</td>
                <td className="status">{r.status}</td>
                <td>{[r.receiptCode, r.description].filter(Boolean).join(' · ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="muted delivery-note">{note}</p>
    </div>
  );
}
