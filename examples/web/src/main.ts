import './style.css';
import { SendBatchSmsDocument, type SendBatchSmsInput, type SendBatchSmsMutation } from '../../generated/graphql';
import { execute, GraphQLRequestError, loadConfig, type ClientConfig } from './sms-client';

type Result = SendBatchSmsMutation['sendBatchSms'];
type Narrowed<T extends Result['__typename']> = Extract<Result, { __typename: T }>;

const form = document.querySelector<HTMLFormElement>('#batch')!;
const rows = document.querySelector<HTMLTableSectionElement>('#targets')!;
const output = document.querySelector<HTMLElement>('#result')!;

const element = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, unknown> = {}, ...children: (Node | string)[]) => {
  const node: HTMLElementTagNameMap[K] = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

function addRow(phone = '', params = ''): void {
  const index = rows.children.length;
  const remove = element('button', { type: 'button', textContent: 'Remove', className: 'remove' });
  remove.addEventListener('click', () => {
    tr.remove();
    renumber();
    keyIsStale = true;
  });
  const tr = element(
    'tr',
    {},
    element('td', { className: 'index', textContent: String(index + 1) }),
    element('td', {}, element('input', { name: 'phone', value: phone, placeholder: '+85255311111' }), element('p', { className: 'error' })),
    element(
      'td',
      {},
      element('input', { name: 'templateParams', value: params, placeholder: '123456' }),
      element('p', { className: 'error' }),
    ),
    element('td', {}, remove),
  );
  tr.querySelectorAll('.error')[0]!.setAttribute('data-error-for', 'phone');
  tr.querySelectorAll('.error')[1]!.setAttribute('data-error-for', 'templateParams');
  rows.append(tr);
}

function renumber(): void {
  [...rows.children].forEach((tr, i) => (tr.querySelector('.index')!.textContent = String(i + 1)));
}

function readInput(idempotencyKey: string): SendBatchSmsInput {
  const value = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value;
  const target = [...rows.children].map((tr) => {
    const phone = tr.querySelector<HTMLInputElement>('input[name=phone]')!.value;
    const params = tr.querySelector<HTMLInputElement>('input[name=templateParams]')!.value;
    return { phone, templateParams: params.trim() === '' ? null : params.split(',').map((p) => p.trim()) };
  });
  return { idempotencyKey, taskContent: [{ templateId: value('templateId'), senderId: value('senderId'), target }] };
}

function clearErrors(): void {
  form.querySelectorAll('.error').forEach((node) => (node.textContent = ''));
  form.querySelectorAll('.invalid').forEach((node) => node.classList.remove('invalid'));
}

// A path like ["taskContent","0","target","3","phone"] names row 3's phone; anything this form has no
// field for is listed with the result instead.
function placeFieldError(path: readonly string[], message: string): boolean {
  const [, , field, row, sub] = path;
  let slot: Element | null = null;
  if (field === 'templateId' || field === 'senderId') slot = form.querySelector(`.field [data-error-for=${field}]`);
  else if (field === 'target' && row === undefined) slot = form.querySelector('[data-error-for=target]');
  else if (field === 'target') {
    slot = rows.children[Number(row)]?.querySelector(`[data-error-for=${sub === 'phone' ? 'phone' : 'templateParams'}]`) ?? null;
  }
  if (!slot) return false;
  slot.textContent = slot.textContent ? `${slot.textContent}; ${message}` : message;
  slot.previousElementSibling?.classList.add('invalid');
  return true;
}

function showSuccess(result: Narrowed<'SendBatchSmsSuccess'>): void {
  const failed = result.failedTargetPhones;
  output.className = failed.length ? 'partial' : 'success';
  output.replaceChildren(
    element('h2', { textContent: failed.length ? `Sent, but ${failed.length} recipient(s) failed` : 'Sent' }),
    element(
      'p',
      {},
      'Session numbers: ',
      element('code', { className: 'session-nos', textContent: result.sessionNos.join(', ') || '(none)' }),
    ),
  );
  if (failed.length) {
    const body = element('tbody');
    for (const f of failed) {
      body.append(element('tr', {}, element('td', { textContent: f.phone }), element('td', { textContent: f.failureReason })));
    }
    output.append(
      element(
        'table',
        { className: 'failed' },
        element('thead', {}, element('tr', {}, element('th', { textContent: 'Phone' }), element('th', { textContent: 'Reason' }))),
        body,
      ),
    );
  }
  if (result.requestUuid) output.append(element('p', { className: 'muted', textContent: `uSpeedo request id: ${result.requestUuid}` }));
}

function showError(result: Narrowed<'SendBatchSmsError'>): void {
  output.className = 'error-result';
  const unplaced = result.fieldErrors.filter((e) => !placeFieldError(e.path, e.message));
  output.replaceChildren(
    element('h2', {}, 'Not sent: ', element('code', { className: 'code', textContent: result.code })),
    element('p', { className: 'message', textContent: result.message }),
  );
  if (result.retryable) {
    const wait = result.retryAfterSeconds ? ` after ${result.retryAfterSeconds} s` : '';
    output.append(element('p', { className: 'retry', textContent: `Safe to send again${wait}.` }));
  }
  if (unplaced.length) {
    output.append(element('ul', {}, ...unplaced.map((e) => element('li', { textContent: `${e.path.join('.')}: ${e.message}` }))));
  }
}

function showFailure(error: unknown): void {
  output.className = 'error-result';
  const text =
    error instanceof GraphQLRequestError
      ? `${error.code} (HTTP ${error.status}): ${error.message}`
      : `Could not reach the server (${error instanceof Error ? error.message : String(error)}). Nothing was sent from this page.`;
  output.replaceChildren(
    element('h2', { textContent: 'Request failed' }),
    element('p', { className: 'transport-error', textContent: text }),
  );
}

// One idempotency key per batch as written: sending the same form again (after a timeout, say) reuses
// it, so the server answers with the first result instead of sending twice. Any edit makes a new one.
let idempotencyKey = crypto.randomUUID();
let keyIsStale = false;
form.addEventListener('input', () => (keyIsStale = true));

async function main(): Promise<void> {
  const config: ClientConfig = await loadConfig();
  addRow('13800138000', '123456');
  document.querySelector('#add-row')!.addEventListener('click', () => addRow());
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (keyIsStale) idempotencyKey = crypto.randomUUID();
    keyIsStale = false;
    clearErrors();
    output.className = 'pending';
    output.replaceChildren(element('p', { textContent: 'Sending…' }));
    try {
      const { sendBatchSms: result } = await execute(config, SendBatchSmsDocument, { input: readInput(idempotencyKey) });
      if (result.__typename === 'SendBatchSmsSuccess') showSuccess(result);
      else showError(result);
    } catch (error) {
      showFailure(error);
    }
    document.body.dataset.state = output.className;
  });
  document.body.dataset.ready = 'true';
}

void main();
