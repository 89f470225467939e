// Small HTML pages served from the integration's webhook URL (the HubSpot connect flow).
import type { Response } from '@botpress/sdk'

export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c)

// A form that asks for one value (a secret typed in, or one of a few choices) and sends it, with
// hidden fields, back to `action` (GET: the webhook URL routes only HubSpot's webhooks on POST, and
// Botpress's OAuth route only GET).
export type PageForm = {
  action: string
  hidden: Record<string, string>
  field:
    | { kind: 'secret'; name: string; label: string }
    | { kind: 'choice'; name: string; label: string; options: { value: string; label: string }[]; selected?: string }
  submit: string
}

const renderField = (field: PageForm['field']): string => {
  if (field.kind === 'secret') {
    return `<p><label>${escapeHtml(field.label)}<br><input type="password" name="${escapeHtml(field.name)}" autocomplete="off" required style="width:100%"></label></p>`
  }
  const selected = field.selected ?? field.options[0]?.value
  const options = field.options
    .map(
      (option) =>
        `<label style="display:block;margin:.3rem 0"><input type="radio" name="${escapeHtml(field.name)}" value="${escapeHtml(option.value)}" required${option.value === selected ? ' checked' : ''}> ${escapeHtml(option.label)}</label>`
    )
    .join('')
  return `<fieldset><legend>${escapeHtml(field.label)}</legend>${options}</fieldset>`
}

const renderForm = (form: PageForm): string =>
  `<form method="get" action="${escapeHtml(form.action)}" data-testid="form">` +
  Object.entries(form.hidden)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('') +
  renderField(form.field) +
  `<p><button type="submit">${escapeHtml(form.submit)}</button></p></form>`

// Botpress's OAuth route (<webhook base>/oauth…) shows its own interstitial page instead of the
// integration's answer unless the answer carries this header (as @botpress/common's wizard pages do).
export const DISABLE_INTERSTITIAL_HEADER = { 'x-bp-disable-interstitial': 'true' } as const

export const page = (
  status: number,
  p: { title: string; tone: 'ok' | 'error' | 'info'; lines: string[]; form?: PageForm; doneUrl?: string }
): Response => {
  const colour = { ok: '#0a7d45', error: '#b3261e', info: '#33475b' }[p.tone]
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(p.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#33475b}
h1{color:${colour};font-size:1.5rem}li{margin:.4rem 0}
button,a.done{display:inline-block;font:inherit;padding:.6rem 1.2rem;min-height:44px;box-sizing:border-box;border:0;border-radius:6px;background:#0a7d45;color:#fff;cursor:pointer;text-decoration:none}</style></head>
<body><h1 data-testid="title">${escapeHtml(p.title)}</h1><ul>${p.lines.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>${p.form ? renderForm(p.form) : ''}${p.doneUrl ? `<p><a class="done" href="${escapeHtml(p.doneUrl)}" data-testid="done">Done: back to Botpress</a></p>` : ''}</body></html>`
  // The addresses of these pages can carry an authorization code or the connect key: never cached,
  // never sent on as a Referer.
  return {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      ...DISABLE_INTERSTITIAL_HEADER,
    },
    body,
  }
}

// Botpress's own page that ends a connection flow ("Configuration successful"), on its app host: the
// webhook host with `webhook` read as `app`, as @botpress/common's wizard derives it. Botpress's
// official flows end there, so the last page links to it.
export const botpressDoneUrl = (webhookBaseUrl: string): string =>
  `${webhookBaseUrl.replace('webhook', 'app')}/oauth/interstitial?success=true`

export const json = (status: number, payload: unknown): Response => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(payload),
})
