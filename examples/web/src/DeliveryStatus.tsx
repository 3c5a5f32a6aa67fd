import { useApolloClient } from '@apollo/client/react';
import { useEffect, useState } from 'react';
import { SmsDeliveryStatusDocument, SmsDeliveryUpdatesDocument, type SmsDeliveryStatusQuery } from '../../generated/graphql';

type Answer = SmsDeliveryStatusQuery['smsDeliveryStatus'];
type Session = Extract<Answer, { __typename: 'SmsDeliveryStatus' }>['sessions'][number];

/** Give up polling after this long: uSpeedo says receipts take 5 to 10 minutes. */
const GIVE_UP_MS = 12 * 60_000;
/** The longest wait between two polls. */
const MAX_WAIT_MS = 60_000;

// The server says when a session will not change again: it has every expected receipt, each final.
const settled = (sessions: readonly Session[]) => sessions.length > 0 && sessions.every((s) => s.final);

/**
 * Each recipient's delivery status, followed through the `smsDeliveryUpdates` subscription: the
 * server pushes each change and completes when every session is final. Where WebSocket is refused
 * (a proxy, a browser policy), or the subscription ends before that, it polls `smsDeliveryStatus`
 * with backoff instead (the first wait doubling up to a minute, for twelve minutes). Both are reads:
 * safe to repeat.
 */
export function DeliveryStatus({ sessionNos, firstWaitMs }: { sessionNos: string[]; firstWaitMs: number }) {
  const client = useApolloClient();
  const [sessions, setSessions] = useState<Session[]>([]);
  const [note, setNote] = useState('Waiting for delivery receipts…');
  const [via, setVia] = useState<'subscription' | 'polling'>('subscription');

  useEffect(() => {
    let stopped = false;
    let done = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const started = Date.now();

    /** Shows an answer; the wait before asking again when it is a retryable error, else null. */
    const show = (answer: Answer): number | null => {
      if (answer.__typename === 'SmsDeliveryStatus') {
        setSessions(answer.sessions);
        done = settled(answer.sessions);
        setNote(done ? 'Every receipt is final.' : 'Waiting for more receipts…');
        return null;
      }
      setNote(`${answer.code}: ${answer.message}`);
      return answer.retryable ? (answer.retryAfterSeconds ?? 0) * 1000 : null;
    };

    const poll = async (wait: number) => {
      let next = Math.min(wait * 2, MAX_WAIT_MS);
      try {
        const { data } = await client.query({ query: SmsDeliveryStatusDocument, variables: { sessionNos }, fetchPolicy: 'network-only' });
        if (stopped || !data) return;
        const retryAfter = show(data.smsDeliveryStatus);
        if (done || (data.smsDeliveryStatus.__typename === 'SmsQueryError' && retryAfter === null)) return;
        if (retryAfter) next = Math.max(next, retryAfter);
      } catch {
        if (!stopped) setNote('Could not reach the server; trying again…');
      }
      if (stopped) return;
      if (Date.now() - started > GIVE_UP_MS) return void setNote('Stopped waiting: some receipts have not arrived. Look again later.');
      timer = setTimeout(() => void poll(next), wait);
    };
    const pollInstead = () => {
      if (stopped || done) return;
      setVia('polling');
      timer = setTimeout(() => void poll(firstWaitMs), firstWaitMs);
    };

    const subscription = client.subscribe({ query: SmsDeliveryUpdatesDocument, variables: { sessionNos } }).subscribe({
      next: ({ data }) => {
        if (!stopped && data) show(data.smsDeliveryUpdates);
      },
      error: pollInstead,
      complete: pollInstead,
    });
    return () => {
      stopped = true;
      clearTimeout(timer);
      subscription.unsubscribe();
    };
  }, [client, sessionNos, firstWaitMs]);

  const receipts = sessions.flatMap((s) => s.receipts);
  return (
    <div id="delivery" data-settled={settled(sessions) ? 'true' : 'false'} data-via={via}>
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
