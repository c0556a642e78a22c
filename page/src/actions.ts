/**
 * The console's buttons: each is shown only when the session's token has the permission, asks for a
 * confirmation in a dialog (with an input when the action needs one, e.g. a scale's instance count), then
 * calls the master's API and says what happened in the status line (#toast).
 */
import { HttpError } from './api';
import { h } from './dom';
import { can } from './session';
import type { HttpPermission } from './types';

export interface ActionSpec {
  label: string;
  permission: HttpPermission;
  /** The question the dialog asks. */
  confirm: string;
  /** A number the dialog asks for (passed to `run`). */
  input?: { label: string; value: number; min: number; max: number };
  danger?: boolean;
  run(value?: number): Promise<unknown>;
  /** What the status line says when it worked. */
  done: string;
  /** Called after it worked (e.g. reload the view). */
  after?(): void;
}

/** Tells the page something changed, so the current view reloads now. */
export function changed(): void {
  window.dispatchEvent(new Event('agora:changed'));
}

export function toast(text: string, kind: 'ok' | 'error' = 'ok'): void {
  const el = document.getElementById('toast');
  if (!el) return;
  el.textContent = text;
  el.className = kind;
  el.hidden = false;
}

/** The button for `spec`, or null when the token may not do it. */
export function actionButton(spec: ActionSpec): HTMLButtonElement | null {
  if (!can(spec.permission)) return null;
  return h(
    'button',
    {
      type: 'button',
      class: spec.danger ? 'action danger' : 'action',
      'data-permission': spec.permission,
      onclick: () => openDialog(spec),
    },
    spec.label,
  );
}

/** A row of the buttons the token allows (empty when none). */
export function actionBar(...specs: (ActionSpec | false | undefined)[]): HTMLElement {
  const buttons = specs
    .filter((s): s is ActionSpec => !!s)
    .map(actionButton)
    .filter((b): b is HTMLButtonElement => b !== null);
  return h('div', { class: 'actions', hidden: buttons.length === 0 }, ...buttons);
}

function openDialog(spec: ActionSpec): void {
  const input = spec.input
    ? h('input', {
        type: 'number',
        id: 'action-input',
        min: spec.input.min,
        max: spec.input.max,
        value: spec.input.value,
        required: true,
      })
    : undefined;
  const error = h('p', { class: 'notice error', role: 'alert', hidden: true });
  const ok = h('button', { type: 'submit', class: spec.danger ? 'danger' : '' }, spec.label);
  const dialog = h(
    'dialog',
    { class: 'confirm', 'aria-label': spec.label },
    h(
      'form',
      { method: 'dialog' },
      h('p', {}, spec.confirm),
      input ? h('label', {}, `${spec.input!.label} `, input) : undefined,
      error,
      h(
        'div',
        { class: 'buttons' },
        h('button', { type: 'button', value: 'cancel', onclick: () => dialog.close() }, 'Cancel'),
        ok,
      ),
    ),
  );
  dialog.addEventListener('close', () => dialog.remove());
  dialog.querySelector('form')!.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = input ? Number(input.value) : undefined;
    ok.disabled = true;
    spec.run(value).then(
      () => {
        dialog.close();
        toast(spec.done);
        spec.after?.();
      },
      (err: unknown) => {
        ok.disabled = false;
        error.hidden = false;
        error.textContent =
          err instanceof HttpError && (err.status === 401 || err.status === 403)
            ? `refused: ${err.message}`
            : `failed: ${(err as Error).message}`;
      },
    );
  });
  document.body.append(dialog);
  dialog.showModal();
  (input ?? ok).focus();
}
