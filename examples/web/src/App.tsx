import { CombinedGraphQLErrors } from '@apollo/client';
import { useLazyQuery, useMutation } from '@apollo/client/react';
import { useEffect, useState, type FormEvent } from 'react';
import { SendBatchSmsDocument, SmsSendPreviewDocument, type SendBatchSmsInput, type SendBatchSmsMutation } from '../../generated/graphql';
import { DeliveryStatus } from './DeliveryStatus';
import { PreviewPanel } from './Preview';

type Result = SendBatchSmsMutation['sendBatchSms'];
type Narrowed<T extends Result['__typename']> = Extract<Result, { __typename: T }>;

interface Row {
  phone: string;
  params: string;
}

/** What happened to the last send, for the result panel. */
type Outcome =
  | { kind: 'result'; result: Result }
  | { kind: 'refused'; code: string; status: string; text: string }
  | { kind: 'unreachable'; text: string };

/** Readable words for the top-level errors a person can meet; anything else shows its code. */
const REFUSALS: Readonly<Record<string, string>> = {
  UNAUTHENTICATED: 'You are not signed in, or your key has expired. Sign in again, then send. Nothing was sent.',
  FORBIDDEN: 'Your account may look up messages but not send them. Nothing was sent.',
  SERVICE_UNAVAILABLE: 'Sign-in cannot be checked right now. Nothing was sent; try again shortly.',
};

/** Field errors by where they belong: a path ["taskContent","0","target","3","phone"] names target 3's phone. */
function errorsByField(result: Result | undefined): { at: Map<string, string[]>; elsewhere: string[] } {
  const at = new Map<string, string[]>();
  const elsewhere: string[] = [];
  if (!result || result.__typename !== 'SendBatchSmsError') return { at, elsewhere };
  for (const { path, message } of result.fieldErrors) {
    const [, , field, row, sub] = path;
    const key =
      field === 'templateId' || field === 'senderId'
        ? field
        : field === 'target' && row !== undefined
          ? `${row}.${sub === 'phone' ? 'phone' : 'templateParams'}`
          : field === 'target'
            ? 'target'
            : undefined;
    if (key) at.set(key, [...(at.get(key) ?? []), message]);
    else elsewhere.push(`${path.join('.')}: ${message}`);
  }
  return { at, elsewhere };
}

/** uSpeedo's refusals of single targets, by the row they came from: its `path` names the row, no number matching needed. */
function failuresByRow(result: Result | undefined): Map<string, string> {
  const byRow = new Map<string, string>();
  if (result?.__typename !== 'SendBatchSmsSuccess') return byRow;
  for (const { path, failureReason } of result.failedTargetPhones) {
    const [, , field, row] = path;
    if (field === 'target' && row !== undefined) byRow.set(row, failureReason || 'not accepted by uSpeedo');
  }
  return byRow;
}

/** Counts down to zero, a second at a time, from `seconds` whenever it changes. */
function useCountdown(seconds: number | null, key: unknown): number {
  const [left, setLeft] = useState(seconds ?? 0);
  useEffect(() => {
    setLeft(seconds ?? 0);
    if (!seconds) return;
    const timer = setInterval(() => setLeft((value) => Math.max(0, value - 1)), 1000);
    return () => clearInterval(timer);
  }, [seconds, key]);
  return left;
}

export function App({ statusPollMs }: { statusPollMs: number }) {
  const [templateId, setTemplateId] = useState('template_id_1');
  const [senderId, setSenderId] = useState('USpeedo');
  const [rows, setRows] = useState<Row[]>([{ phone: '13800138000', params: '123456' }]);
  // One idempotency key per batch as written: a retry of the same form reuses it, so the server answers
  // with the first result instead of sending twice. Any edit makes a new one.
  const [idempotencyKey, setIdempotencyKey] = useState(() => crypto.randomUUID());
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [sendBatchSms, { loading }] = useMutation(SendBatchSmsDocument);
  // The preview of the batch as written: a query, refetched for each click.
  const [previewBatch, previewed] = useLazyQuery(SmsSendPreviewDocument, { fetchPolicy: 'network-only' });
  // The key of the batch the preview was asked for: once the form changes, that preview is of another batch.
  const [previewedKey, setPreviewedKey] = useState<string | null>(null);
  const preview = previewedKey === idempotencyKey ? previewed.data?.smsSendPreview : undefined;

  const edited = () => setIdempotencyKey(crypto.randomUUID());
  const setRow = (index: number, change: Partial<Row>) => {
    setRows((current) => current.map((row, i) => (i === index ? { ...row, ...change } : row)));
    edited();
  };

  const input = (): SendBatchSmsInput => ({
    idempotencyKey,
    taskContent: [
      {
        templateId,
        senderId,
        target: rows.map((row) => ({
          phone: row.phone,
          templateParams: row.params.trim() === '' ? null : row.params.split(',').map((param) => param.trim()),
        })),
      },
    ],
  });

  async function send(event?: FormEvent): Promise<void> {
    event?.preventDefault();
    setOutcome(null);
    try {
      const { data } = await sendBatchSms({ variables: { input: input() } });
      if (data) setOutcome({ kind: 'result', result: data.sendBatchSms });
    } catch (error) {
      if (CombinedGraphQLErrors.is(error)) {
        const given = error.errors[0]?.extensions?.code;
        const code = typeof given === 'string' ? given : 'ERROR';
        setOutcome({ kind: 'refused', code, status: code, text: REFUSALS[code] ?? error.errors[0]?.message ?? code });
      } else {
        const text = error instanceof Error ? error.message : String(error);
        // The request may have left before the connection failed: what became of it is unknown. The
        // same form sends again with the same idempotency key, so the server answers with the first
        // result rather than sending twice.
        setOutcome({
          kind: 'unreachable',
          text: `The connection failed (${text}). If the request had already left, the batch may have been sent: press Send again without changing the form, and the server answers with the first result instead of sending it twice.`,
        });
      }
    }
  }

  const result = outcome?.kind === 'result' ? outcome.result : undefined;
  const { at, elsewhere } = errorsByField(result);
  const fieldError = (key: string) => at.get(key)?.join('; ') ?? '';
  const failedRows = failuresByRow(result);
  const state = loading
    ? 'pending'
    : !outcome
      ? undefined
      : result?.__typename === 'SendBatchSmsSuccess'
        ? result.failedTargetPhones.length
          ? 'partial'
          : 'success'
        : 'error-result';
  useEffect(() => {
    if (state) document.body.dataset.state = state;
  }, [state]);

  return (
    <>
      <h1>Send a batch of SMS</h1>
      <form id="batch" noValidate onSubmit={(event) => void send(event)}>
        <div className="field">
          <label htmlFor="templateId">Template id</label>
          <input
            id="templateId"
            className={at.has('templateId') ? 'invalid' : ''}
            value={templateId}
            onChange={(e) => (setTemplateId(e.target.value), edited())}
          />
          <p className="error" data-error-for="templateId">
            {fieldError('templateId')}
          </p>
        </div>
        <div className="field">
          <label htmlFor="senderId">Sender id</label>
          <input
            id="senderId"
            className={at.has('senderId') ? 'invalid' : ''}
            value={senderId}
            onChange={(e) => (setSenderId(e.target.value), edited())}
          />
          <p className="error" data-error-for="senderId">
            {fieldError('senderId')}
          </p>
        </div>
        <table>
          <thead>
            <tr>
              <th title="As fieldErrors and messages number them">target</th>
              <th>Phone</th>
              <th>Template params (comma-separated)</th>
              <th />
            </tr>
          </thead>
          <tbody id="targets">
            {rows.map((row, i) => (
              <tr key={i} className={failedRows.has(String(i)) ? 'failed-row' : undefined}>
                <td className="index">{i}</td>
                <td>
                  <input
                    name="phone"
                    placeholder="+85255311111"
                    className={at.has(`${i}.phone`) ? 'invalid' : ''}
                    value={row.phone}
                    onChange={(e) => setRow(i, { phone: e.target.value })}
                  />
                  <p className="error" data-error-for="phone">
                    {fieldError(`${i}.phone`)}
                  </p>
                  {failedRows.has(String(i)) && <p className="failed-reason">Not sent: {failedRows.get(String(i))}</p>}
                </td>
                <td>
                  <input
                    name="templateParams"
                    placeholder="123456"
                    className={at.has(`${i}.templateParams`) ? 'invalid' : ''}
                    value={row.params}
                    onChange={(e) => setRow(i, { params: e.target.value })}
                  />
                  <p className="error" data-error-for="templateParams">
                    {fieldError(`${i}.templateParams`)}
                  </p>
                </td>
                <td>
                  <button type="button" className="remove" onClick={() => (setRows(rows.filter((_, j) => j !== i)), edited())}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="error" data-error-for="target">
          {fieldError('target')}
        </p>
        <div className="actions">
          <button type="button" id="add-row" onClick={() => (setRows([...rows, { phone: '', params: '' }]), edited())}>
            Add recipient
          </button>
          <button
            type="button"
            id="preview-batch"
            disabled={previewed.loading}
            onClick={() => {
              setPreviewedKey(idempotencyKey);
              void previewBatch({ variables: { input: input() } });
            }}
          >
            Preview
          </button>
          <button type="submit" id="send" disabled={loading}>
            Send
          </button>
        </div>
      </form>
      {preview?.__typename === 'SmsSendPreview' && <PreviewPanel preview={preview} />}
      {preview?.__typename === 'SendBatchSmsError' && (
        <section id="preview" aria-live="polite">
          <h2>
            This batch would not be sent: <code className="code">{preview.code}</code>
          </h2>
          <p>{preview.message}</p>
          <ul>
            {preview.fieldErrors.map((e) => (
              <li key={e.path.join('.') + e.message}>
                {e.path.join('.')}: {e.message}
              </li>
            ))}
          </ul>
        </section>
      )}
      <section id="result" className={state ?? ''} aria-live="polite">
        {loading && <p>Sending…</p>}
        {!loading && result?.__typename === 'SendBatchSmsSuccess' && <Success result={result} statusPollMs={statusPollMs} />}
        {!loading && result?.__typename === 'SendBatchSmsError' && (
          <Failure result={result} elsewhere={elsewhere} onRetry={() => void send()} />
        )}
        {!loading && outcome?.kind === 'refused' && (
          <>
            <h2>
              Not sent: <code className="code">{outcome.code}</code>
            </h2>
            <p className="transport-error">{outcome.text}</p>
          </>
        )}
        {!loading && outcome?.kind === 'unreachable' && (
          <>
            <h2>Outcome unknown: no answer</h2>
            <p className="transport-error">{outcome.text}</p>
          </>
        )}
      </section>
    </>
  );
}

function Success({ result, statusPollMs }: { result: Narrowed<'SendBatchSmsSuccess'>; statusPollMs: number }) {
  const failed = result.failedTargetPhones;
  return (
    <>
      <h2>{failed.length ? `Sent, but ${failed.length} recipient(s) failed` : 'Sent'}</h2>
      <p>
        Session numbers: <code className="session-nos">{result.sessionNos.join(', ') || '(none)'}</code>
      </p>
      {failed.length > 0 && (
        <table className="failed">
          <thead>
            <tr>
              <th>Phone</th>
              <th>Reason</th>
            </tr>
          </thead>
          <tbody>
            {failed.map((f) => (
              <tr key={f.phone}>
                <td>{f.phone}</td>
                <td>{f.failureReason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {result.requestUuid && <p className="muted">uSpeedo request id: {result.requestUuid}</p>}
      {result.sessionNos.length > 0 && <DeliveryStatus sessionNos={result.sessionNos} firstWaitMs={statusPollMs} />}
    </>
  );
}

const RESULT_WORDS: Readonly<Record<string, string>> = {
  RATE_LIMITED: 'Too many messages right now.',
  IDEMPOTENCY_IN_PROGRESS: 'This batch is still being sent.',
  OUTCOME_UNKNOWN: 'An earlier attempt may have been sent: check before sending again.',
};

/** Answers after which the batch may have reached uSpeedo: never headed "Not sent". */
const MAY_HAVE_SENT = new Set(['UPSTREAM_TIMEOUT', 'UPSTREAM_UNAVAILABLE', 'OUTCOME_UNKNOWN', 'INVALID_UPSTREAM_RESPONSE']);
/** A wait longer than this is said as a time of day, not counted down. */
const COUNTDOWN_MAX_S = 180;

const timeOfDay = (secondsFromNow: number) =>
  new Date(Date.now() + secondsFromNow * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

function Failure({ result, elsewhere, onRetry }: { result: Narrowed<'SendBatchSmsError'>; elsewhere: string[]; onRetry: () => void }) {
  const after = result.retryable ? result.retryAfterSeconds : null;
  const long = after !== null && after > COUNTDOWN_MAX_S;
  const wait = useCountdown(long ? null : after, result);
  // A retryable answer provably sent nothing; a connection lost or a timeout may have sent it all.
  const unknown = !result.retryable && MAY_HAVE_SENT.has(result.code);
  const heading = unknown ? 'Outcome unknown' : result.code === 'IDEMPOTENCY_IN_PROGRESS' ? 'Still being sent' : 'Not sent';
  return (
    <>
      <h2>
        {heading}: <code className="code">{result.code}</code>
      </h2>
      {RESULT_WORDS[result.code] && <p className="summary">{RESULT_WORDS[result.code]}</p>}
      <p className="message">{result.message}</p>
      {result.retryable && long && <p className="retry">Safe to send again after {timeOfDay(after)}. Nothing was sent; come back then.</p>}
      {result.retryable && !long && (
        <p className="retry">
          {result.retryAfterSeconds ? `Safe to send again after ${result.retryAfterSeconds} s.` : 'Safe to send again.'}{' '}
          <button type="button" id="retry" disabled={wait > 0} onClick={onRetry}>
            {wait > 0 ? `Retry in ${wait} s` : 'Retry'}
          </button>
        </p>
      )}
      {elsewhere.length > 0 && (
        <ul>
          {elsewhere.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}
    </>
  );
}
