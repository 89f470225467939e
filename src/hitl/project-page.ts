// <webhook URL>/hubspot-project: the installation's HubSpot project, shown file by file, with a
// button that saves all of them as one .zip (built in the browser: a webhook answer is text only),
// and the same files as JSON for scripts (<webhook URL>/hubspot-project.json).
import type { Response } from '@botpress/sdk'
import { escapeHtml, json } from './pages'
import { projectFiles, projectNameFor, VALUES_TO_COPY } from './project-files'

// A "stored" (uncompressed) zip written in the page: CRC-32, local headers, central directory.
const ZIP_SCRIPT = `
const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0 })
const crc32 = (bytes) => { let c = 0xffffffff; for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0 }
const zip = (files) => {
  const enc = new TextEncoder(), parts = [], central = []
  let offset = 0
  for (const file of files) {
    const name = enc.encode(file.path), data = enc.encode(file.content), crc = crc32(data)
    const local = new DataView(new ArrayBuffer(30))
    local.setUint32(0, 0x04034b50, true); local.setUint16(4, 20, true); local.setUint16(6, 0x0800, true)
    local.setUint32(14, crc, true); local.setUint32(18, data.length, true); local.setUint32(22, data.length, true); local.setUint16(26, name.length, true)
    const entry = new DataView(new ArrayBuffer(46))
    entry.setUint32(0, 0x02014b50, true); entry.setUint16(4, 20, true); entry.setUint16(6, 20, true); entry.setUint16(8, 0x0800, true)
    entry.setUint32(16, crc, true); entry.setUint32(20, data.length, true); entry.setUint32(24, data.length, true); entry.setUint16(28, name.length, true); entry.setUint32(42, offset, true)
    parts.push(local, name, data); central.push(entry, name)
    offset += 30 + name.length + data.length
  }
  const size = central.reduce((n, p) => n + p.byteLength, 0)
  const end = new DataView(new ArrayBuffer(22))
  end.setUint32(0, 0x06054b50, true); end.setUint16(8, files.length, true); end.setUint16(10, files.length, true); end.setUint32(12, size, true); end.setUint32(16, offset, true)
  return new Blob([...parts, ...central, end], { type: 'application/zip' })
}
const project = JSON.parse(document.getElementById('project').textContent)
document.getElementById('download').addEventListener('click', () => {
  const link = document.createElement('a')
  link.href = URL.createObjectURL(zip(project.files.map((f) => ({ path: project.name + '/' + f.path, content: f.content }))))
  link.download = project.name + '.zip'
  document.body.append(link); link.click(); link.remove()
})
`

export const projectAsJson = (webhookUrl: string): Response =>
  json(200, { name: projectNameFor(webhookUrl), webhookUrl, files: projectFiles(webhookUrl) })

export const projectPage = (webhookUrl: string): Response => {
  const name = projectNameFor(webhookUrl)
  const files = projectFiles(webhookUrl)
  // Inside <script type="application/json">, only "</" could end the element early.
  const data = JSON.stringify({ name, files }).replace(/<\//g, '<\\/')
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>HubSpot project for this integration</title>
<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:3rem auto;padding:0 1rem;color:#33475b}
h1{font-size:1.5rem}pre{background:#f5f8fa;border:1px solid #cbd6e2;padding:.75rem;overflow:auto;font-size:.85rem}
button{font:inherit;padding:.5rem 1rem;background:#0a7d45;color:#fff;border:0;border-radius:4px;cursor:pointer}code{background:#f5f8fa}</style></head>
<body><h1 data-testid="title">HubSpot project for this integration</h1>
<p>HubSpot apps are created as projects. This one is ready for this installation: its redirect URL and webhook target are this integration's webhook URL, <code>${escapeHtml(webhookUrl)}</code>.</p>
<ol><li><button id="download" type="button">Download ${escapeHtml(name)}.zip</button> and unzip it.</li>
<li>Install the HubSpot CLI (Node 20 or later): <code>npm install -g @hubspot/cli@latest</code>.</li>
<li><code>hs account auth</code>: it asks for a <strong>personal access key</strong>. Create one in the browser page it opens, with access to developer projects, and paste it.</li>
<li>In the unzipped folder, <code>hs project upload</code>. The first upload asks whether to create the project: answer yes. If the project's auto-deploy is off, run <code>hs project deploy</code> too. <code>hs project validate</code> checks the files first; <code>hs project open</code> opens the project in HubSpot.</li>
<li>Copy these values into the integration's configuration in Botpress (the app is Development › Projects › ${escapeHtml(name)} › Botpress HITL):
<ul data-testid="values-to-copy">${VALUES_TO_COPY.map((value) => `<li><strong>${escapeHtml(value.name)}</strong>: ${escapeHtml(value.where.replace(/ > /g, ' › '))}</li>`).join('')}</ul></li>
<li>Save the configuration, then open the connect link the first save gives.</li></ol>
${files.map((file) => `<h2>${escapeHtml(file.path)}</h2><pre data-file="${escapeHtml(file.path)}">${escapeHtml(file.content)}</pre>`).join('\n')}
<script type="application/json" id="project">${data}</script>
<script>${ZIP_SCRIPT}</script></body></html>`
  return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }, body }
}
