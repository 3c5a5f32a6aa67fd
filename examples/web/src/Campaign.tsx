import { useApolloClient, useSubscription } from '@apollo/client/react';
import Papa from 'papaparse';
import { useEffect, useState } from 'react';
import {
  AddSmsCampaignTargetsDocument,
  CancelSmsCampaignDocument,
  CreateSmsCampaignDocument,
  PauseSmsCampaignDocument,
  ResumeSmsCampaignDocument,
  SmsCampaignFailuresDocument,
  SmsCampaignUpdatesDocument,
  StartSmsCampaignDocument,
  type CampaignFieldsFragment,
  type SmsCampaignFailuresQuery,
} from '../../generated/graphql';

/** Targets a page holds at most: uSpeedo's, and the server's. */
const PAGE_SIZE = 1000;

/** One CSV row: its line in the file (the header, when there is one, is line 1), its phone and the template's parameters. */
interface CsvRow {
  line: number;
  phone: string;
  params: string[];
}
/** A row the server refused, or one it did not send: its CSV line and why. */
interface RowProblem {
  line: number;
  text: string;
}

/**
 * A CSV's rows: `phone,param1,param2,…`. A first row whose first cell holds no run of digits is a
 * header. Blank lines are skipped but counted, so every row keeps the line number an editor shows.
 */
function rowsOf(cells: string[][]): CsvRow[] {
  const rows: CsvRow[] = [];
  cells.forEach((row, index) => {
    if (row.every((cell) => cell.trim() === '')) return;
    if (index === 0 && !/\d{5}/.test(row[0] ?? '')) return;
    const [phone = '', ...params] = row.map((cell) => cell.trim());
    while (params.length > 0 && params.at(-1) === '') params.pop();
    rows.push({ line: index + 1, phone, params });
  });
  return rows;
}

const parseCsv = (file: File) =>
  new Promise<string[][]>((resolve, reject) =>
    Papa.parse<string[]>(file, { complete: (result) => resolve(result.data), error: reject, skipEmptyLines: false }),
  );

/** The row a path names: `["page","3","taskContent","0","target","17",…]`. */
const rowIndexOf = (path: readonly string[]) =>
  path[0] === 'page' && path[2] === 'taskContent' && path[4] === 'target' ? { page: Number(path[1]), index: Number(path[5]) } : null;

/**
 * The campaign screen: a CSV becomes pages of up to 1000, uploaded one by one (refused rows shown on
 * their CSV lines, the rest kept); then the cost, Start, the progress pushed by smsCampaignUpdates,
 * Pause / Resume / Cancel, and every failed row on its CSV line.
 */
export function CampaignScreen() {
  const client = useApolloClient();
  const [templateId, setTemplateId] = useState('template_id_1');
  const [senderId, setSenderId] = useState('USpeedo');
  const [name, setName] = useState(() => `Campaign of ${new Date().toLocaleDateString()}`);
  const [upload, setUpload] = useState<{ done: number; total: number } | null>(null);
  const [refused, setRefused] = useState<RowProblem[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [campaign, setCampaign] = useState<CampaignFieldsFragment | null>(null);
  /** The rows each page holds as stored, so a failure's path finds its CSV line. */
  const [stored, setStored] = useState<CsvRow[][]>([]);
  const [failures, setFailures] = useState<RowProblem[] | null>(null);
  const started = campaign !== null && campaign.state !== 'DRAFT';

  // Live once started: the campaign at once, then each change.
  useSubscription(SmsCampaignUpdatesDocument, {
    variables: { campaignId: campaign?.id ?? '' },
    skip: !started,
    onData: ({ data }) => {
      const update = data.data?.smsCampaignUpdates;
      if (update?.__typename === 'SmsCampaign') setCampaign(update);
    },
  });

  const finished = campaign?.state === 'DONE' || campaign?.state === 'CANCELLED';
  useEffect(() => {
    if (!finished || !campaign || failures !== null) return;
    void (async () => {
      const found: RowProblem[] = [];
      let after: string | null = null;
      const failuresAfter = async (cursor: string | null): Promise<SmsCampaignFailuresQuery['smsCampaignFailures'] | undefined> => {
        const { data } = await client.query({
          query: SmsCampaignFailuresDocument,
          variables: { campaignId: campaign.id, first: 1000, after: cursor },
          fetchPolicy: 'network-only',
        });
        return data?.smsCampaignFailures;
      };
      for (;;) {
        const list = await failuresAfter(after);
        if (list?.__typename !== 'SmsCampaignFailureList') break;
        for (const failure of list.items) {
          const at = rowIndexOf(failure.path);
          const row = at ? stored[at.page]?.[at.index] : undefined;
          found.push({ line: row?.line ?? 0, text: `${failure.e164}: ${failure.reason} (${failure.code})` });
        }
        if (!list.hasMore) break;
        after = list.endCursor;
      }
      setFailures(found);
    })();
  }, [finished, campaign, failures, client, stored]);

  async function uploadFile(file: File): Promise<void> {
    setProblem(null);
    setRefused([]);
    setFailures(null);
    setCampaign(null);
    const rows = rowsOf(await parseCsv(file));
    if (rows.length === 0) return setProblem('The file holds no rows.');
    const created = (
      await client.mutate({ mutation: CreateSmsCampaignDocument, variables: { input: { name, idempotencyKey: crypto.randomUUID() } } })
    ).data?.createSmsCampaign;
    if (created?.__typename !== 'SmsCampaign') return setProblem(created?.message ?? 'The campaign could not be created.');
    const pages: CsvRow[][] = [];
    for (let start = 0; start < rows.length; start += PAGE_SIZE) pages.push(rows.slice(start, start + PAGE_SIZE));
    setUpload({ done: 0, total: pages.length });
    const kept: CsvRow[][] = [];
    const problems: RowProblem[] = [];
    let latest: CampaignFieldsFragment = created;
    for (const [page, all] of pages.entries()) {
      let pageRows = all;
      // A refused page stores nothing: its refused rows are set aside and the rest is added again, once.
      for (let attempt = 0; attempt < 2 && pageRows.length > 0; attempt++) {
        const answer = (
          await client.mutate({
            mutation: AddSmsCampaignTargetsDocument,
            variables: {
              input: {
                campaignId: created.id,
                page,
                taskContent: [
                  {
                    templateId,
                    senderId,
                    target: pageRows.map((row) => ({ phone: row.phone, templateParams: row.params.length ? row.params : null })),
                  },
                ],
              },
            },
          })
        ).data?.addSmsCampaignTargets;
        if (answer?.__typename === 'SmsCampaign') {
          latest = answer;
          break;
        }
        const bad = new Map<number, string>();
        let whole: string | null = answer?.message ?? 'The page was refused.';
        for (const error of answer?.fieldErrors ?? []) {
          const at = rowIndexOf(error.path);
          if (at && !Number.isNaN(at.index)) bad.set(at.index, error.message);
          else whole = `${error.path.slice(2).join('.')}: ${error.message}`;
        }
        if (bad.size === 0 || attempt === 1) {
          // Not a row's fault (the template, a limit): every row of the page is refused with it.
          problems.push(...pageRows.map((row) => ({ line: row.line, text: whole ?? 'refused' })));
          pageRows = [];
          break;
        }
        problems.push(...[...bad].map(([index, text]) => ({ line: pageRows[index].line, text })));
        pageRows = pageRows.filter((_, index) => !bad.has(index));
      }
      kept[page] = pageRows;
      setRefused([...problems]);
      setUpload({ done: page + 1, total: pages.length });
    }
    setStored(kept);
    setCampaign(latest);
  }

  async function act(action: 'start' | 'pause' | 'resume' | 'cancel'): Promise<void> {
    if (!campaign) return;
    const variables = { campaignId: campaign.id };
    const answer =
      action === 'start'
        ? (await client.mutate({ mutation: StartSmsCampaignDocument, variables })).data?.startSmsCampaign
        : action === 'pause'
          ? (await client.mutate({ mutation: PauseSmsCampaignDocument, variables })).data?.pauseSmsCampaign
          : action === 'resume'
            ? (await client.mutate({ mutation: ResumeSmsCampaignDocument, variables })).data?.resumeSmsCampaign
            : (await client.mutate({ mutation: CancelSmsCampaignDocument, variables })).data?.cancelSmsCampaign;
    if (answer?.__typename === 'SmsCampaign') setCampaign(answer);
    else setProblem(answer?.message ?? 'No answer.');
  }

  const done = campaign ? campaign.sent + campaign.failed + campaign.skipped + campaign.outcomeUnknown + campaign.cancelled : 0;
  return (
    <section id="campaign">
      <h1>Send a campaign</h1>
      <p className="muted">
        A CSV of <code>phone,param1,param2,…</code> (a header row allowed) becomes pages of up to {PAGE_SIZE}, each sent once.
      </p>
      <div className="field">
        <label htmlFor="campaign-name">Name</label>
        <input id="campaign-name" value={name} onChange={(e) => setName(e.target.value)} disabled={campaign !== null} />
      </div>
      <div className="field">
        <label htmlFor="campaign-template">Template id (the CSV&apos;s columns after the phone are its parameters)</label>
        <input id="campaign-template" data-testid="campaign-template" value={templateId} onChange={(e) => setTemplateId(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="campaign-sender">Sender id</label>
        <input id="campaign-sender" value={senderId} onChange={(e) => setSenderId(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="campaign-file">CSV file</label>
        <input
          id="campaign-file"
          data-testid="campaign-file"
          type="file"
          accept=".csv,text/csv"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void uploadFile(file).catch((error: unknown) => setProblem(`The upload stopped: ${String(error)}`));
          }}
        />
      </div>
      {upload && (
        <p>
          Uploading pages: {upload.done} of {upload.total}{' '}
          <progress data-testid="campaign-upload-progress" value={upload.done} max={upload.total} />
        </p>
      )}
      {problem && <p className="transport-error">{problem}</p>}
      {refused.length > 0 && (
        <section id="campaign-refused">
          <h2>{refused.length} row(s) refused, not in the campaign</h2>
          <ul>
            {refused.map((row) => (
              <li key={`${row.line}:${row.text}`} data-testid="campaign-refused-row" data-line={row.line}>
                line {row.line}: {row.text}
              </li>
            ))}
          </ul>
        </section>
      )}
      {campaign && (
        <section id="campaign-summary">
          <p data-testid="campaign-cost" data-recipients={campaign.recipients} data-segments={campaign.segments ?? ''}>
            {campaign.recipients} recipient(s),{' '}
            {campaign.segments === null ? 'cost unknown (a template could not be read)' : `${campaign.segments} SMS billed`}
            {campaign.countries.length > 0 && ` (${campaign.countries.map((c) => `+${c.countryCode}: ${c.recipients}`).join(', ')})`}
          </p>
          <div className="actions">
            {campaign.state === 'DRAFT' && upload?.done === upload?.total && (
              <button type="button" data-testid="campaign-start" onClick={() => void act('start')}>
                Start
              </button>
            )}
            {campaign.state === 'SENDING' && (
              <button type="button" data-testid="campaign-pause" onClick={() => void act('pause')}>
                Pause
              </button>
            )}
            {campaign.state === 'PAUSED' && (
              <button type="button" data-testid="campaign-resume" onClick={() => void act('resume')}>
                Resume
              </button>
            )}
            {(campaign.state === 'SENDING' || campaign.state === 'PAUSED' || campaign.state === 'DRAFT') && (
              <button type="button" data-testid="campaign-cancel" onClick={() => void act('cancel')}>
                Cancel
              </button>
            )}
          </div>
          {started && (
            <div
              data-testid="campaign-progress"
              data-state={campaign.state}
              data-sent={campaign.sent}
              data-failed={campaign.failed}
              data-skipped={campaign.skipped}
              data-unknown={campaign.outcomeUnknown}
              data-pending={campaign.pending}
            >
              <progress value={done} max={campaign.recipients} />
              <p>
                {campaign.state}: {campaign.sent} sent, {campaign.failed} failed, {campaign.skipped} skipped, {campaign.outcomeUnknown}{' '}
                unknown, {campaign.pending} pending{campaign.cancelled > 0 ? `, ${campaign.cancelled} cancelled` : ''}
              </p>
              {campaign.blockedBy && <p className="warning">Held back: {campaign.blockedBy.message}</p>}
            </div>
          )}
        </section>
      )}
      {failures !== null && (
        <section id="campaign-failures">
          <h2>{failures.length} row(s) not sent</h2>
          <ul>
            {failures.map((row) => (
              <li key={`${row.line}:${row.text}`} data-testid="campaign-failure" data-line={row.line}>
                line {row.line}: {row.text}
              </li>
            ))}
          </ul>
        </section>
      )}
    </section>
  );
}
