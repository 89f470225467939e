'use strict'
;(() => {
  const $ = (testId) => document.querySelector(`[data-testid="${testId}"]`)
  const esc = (value) =>
    String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c])
  const time = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
  const ICONS = {
    bot: '<svg viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"><rect x="4" y="8" width="16" height="11" rx="3"/><path d="M12 4v4"/><circle cx="9" cy="13.5" r="1.2" fill="currentColor"/><circle cx="15" cy="13.5" r="1.2" fill="currentColor"/></svg>',
    file: '<svg viewBox="0 0 24 24" width="14" height="14" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round"><path d="M6 3h8l4 4v14H6z"/><path d="M14 3v4h4"/></svg>',
  }
  const initials = (name) => String(name || '?').split(/\s+/).map((part) => part[0]).join('').slice(0, 2).toUpperCase()

  const MODE_LABELS = {
    bot: 'Chatting with the bot',
    escalating: 'Escalating…',
    waiting: 'Waiting for an agent',
  }

  const ui = {
    snapshot: null,
    selectedThreadId: null,
    knownThreadIds: new Set(),
    showStartOf: null,
    rendered: { links: '', settings: '', customer: '', inbox: '', log: '', setup: '' },
    firstInbox: true,
    replyFile: null,
    busy: false,
    // Customer files on their way, by the page's upload id: { name, size, loaded, sent }.
    uploads: new Map(),
  }

  // Follows the end of a scrolled list when it was at its end, or when items were added; images
  // that load later make it taller, so they scroll it again.
  const keepAtEnd = (element, render) => {
    const atEnd = element.scrollHeight - element.scrollTop - element.clientHeight < 40
    const before = element.childElementCount
    render()
    if (!atEnd && element.childElementCount <= before) return
    element.scrollTop = element.scrollHeight
    for (const image of element.querySelectorAll('img')) {
      if (!image.complete) image.addEventListener('load', () => (element.scrollTop = element.scrollHeight), { once: true })
    }
  }

  const showError = (testId, message) => {
    const element = $(testId)
    element.textContent = message || ''
    element.hidden = !message
  }

  // The sandbox server's request limit (MAX_BODY_BYTES in server.ts).
  const MAX_UPLOAD_BYTES = 16 * 1024 * 1024
  const formatSize = (bytes) => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1e3))} KB`)

  // Sends a body with XMLHttpRequest, whose upload events report progress (fetch has none).
  const sendWithProgress = (url, body, headers, onProgress) =>
    new Promise((resolve, reject) => {
      const request = new XMLHttpRequest()
      request.open('POST', url)
      for (const [name, value] of Object.entries(headers)) request.setRequestHeader(name, value)
      request.upload.onprogress = (event) => {
        if (event.lengthComputable) onProgress(event.loaded, event.total)
      }
      request.upload.onload = () => onProgress(1, 1)
      request.onload = () => {
        let answer = {}
        try {
          answer = JSON.parse(request.responseText)
        } catch {}
        if (request.status >= 200 && request.status < 300) resolve(answer)
        else reject(new Error(answer.message || `${request.status} ${request.statusText}`))
      }
      request.onerror = () => reject(new Error('The upload failed: the server could not be reached'))
      request.send(body)
    })

  const postJson = async (url, body) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) })
    const answer = await response.json().catch(() => ({}))
    if (!response.ok) throw new Error(answer.message || `${response.status} ${response.statusText}`)
    return answer
  }

  // Customer side: the sandbox server plays the bot.
  const customerAction = async (action, body) => {
    showError('chat-error', '')
    try {
      await postJson(`/api/customer/${action}`, body)
    } catch (error) {
      showError('chat-error', error.message)
    }
  }

  // Agent side: straight to the HubSpot stand-in's control API, as a script or a test would.
  const agentAction = async (path, body) => {
    showError('inbox-error', '')
    const base = ui.snapshot && ui.snapshot.links.controlApi
    if (!base || !ui.selectedThreadId) return false
    try {
      await postJson(`${base}/threads/${encodeURIComponent(ui.selectedThreadId)}/${path}`, body)
      return true
    } catch (error) {
      showError('inbox-error', error.message)
      return false
    }
  }

  const attachmentHtml = (attachment) => {
    if (!attachment) return ''
    const link = `<a href="${esc(attachment.url)}" target="_blank" rel="noopener" data-testid="attachment-link">${esc(attachment.name)}</a>`
    return attachment.isImage
      ? `<div class="attachment">${link}<img src="${esc(attachment.url)}" alt="${esc(attachment.name)}"></div>`
      : `<div class="attachment file">${ICONS.file}${link}</div>`
  }

  // Only addresses that answer a browser are links; the others are shown to copy into a script.
  const renderLinks = (links) => {
    const link = (label, url) => `<span>${label} <a href="${esc(url)}" target="_blank" rel="noopener"><code>${esc(url)}</code></a></span>`
    const text = (label, url) => `<span>${label} <code>${esc(url)}</code></span>`
    $('links').innerHTML = `<details><summary>Stand-in addresses</summary><div class="link-list">${[
      link('HubSpot stand-in (its state)', `${links.controlApi}/state`),
      link('HubSpot threads', `${links.controlApi}/threads`),
      link('sandbox state', '/api/state'),
      text('Botpress stand-in API', links.botpress),
      text('integration', links.integration),
      text('webhook', links.webhook),
    ].join('')}</div></details>`
  }

  const chatLineHtml = (line) => {
    const body = `${line.text ? esc(line.text) : ''}${attachmentHtml(line.attachment)}`
    if (line.from === 'agent') {
      const avatar = line.agent.pictureUrl
        ? `<img class="avatar" data-testid="agent-avatar" src="${esc(line.agent.pictureUrl)}" alt="">`
        : `<span class="avatar initials" aria-hidden="true">${esc(initials(line.agent.name))}</span>`
      return `<div class="line" data-testid="chat-line" data-from="agent">${avatar}<div><div class="sender" data-testid="line-sender">${esc(line.agent.name)}</div><div class="bubble">${body}</div></div></div>`
    }
    if (line.from === 'bot') {
      return `<div class="line" data-testid="chat-line" data-from="bot"><span class="avatar bot" aria-hidden="true">${ICONS.bot}</span><div><div class="sender" data-testid="line-sender">Bot</div><div class="bubble">${body}</div></div></div>`
    }
    const delivery = line.delivery ? ` data-delivery="${esc(line.delivery)}"` : ''
    const noteText = line.note || (line.delivery === 'sending' && line.attachment ? 'Uploaded · the integration is sending it to HubSpot…' : '')
    const note = noteText ? `<div class="delivery-note" data-testid="delivery-note">${esc(noteText)}</div>` : ''
    return `<div class="line" data-testid="chat-line" data-from="${esc(line.from)}"${delivery}><div><div class="bubble">${body}</div>${note}</div></div>`
  }

  // A customer file still travelling to the sandbox: its bubble, with a progress bar.
  const uploadLineHtml = ([id, upload]) => {
    const percent = Math.floor((upload.loaded / Math.max(upload.size, 1)) * 100)
    const note = upload.sent ? `Uploaded ${formatSize(upload.size)} · handing it to the bot…` : `Uploading… ${percent} % of ${formatSize(upload.size)}`
    return `<div class="line" data-testid="upload-line" data-from="customer" data-delivery="uploading" data-upload-id="${esc(id)}"><div><div class="bubble"><div class="attachment file">${ICONS.file}<span>${esc(upload.name)}</span></div><progress data-testid="upload-progress" max="100" value="${upload.sent ? 100 : percent}"></progress></div><div class="delivery-note" data-testid="upload-note">${esc(note)}</div></div></div>`
  }

  // Uploads whose chat line the server already shows have no bubble of their own any more.
  const pendingUploads = (customer) => {
    const shown = new Set(customer.lines.map((line) => line.uploadId).filter(Boolean))
    return [...ui.uploads].filter(([id]) => !shown.has(id))
  }

  const renderChatLines = (customer) => {
    const chat = $('chat-messages')
    keepAtEnd(chat, () => {
      chat.innerHTML = customer.lines.map(chatLineHtml).join('') + pendingUploads(customer).map(uploadLineHtml).join('')
    })
  }

  // Progress changes only its own bubble, so the rest of the chat is left alone.
  const showUploadProgress = (id) => {
    const upload = ui.uploads.get(id)
    const bubble = document.querySelector(`[data-upload-id="${id}"][data-testid="upload-line"]`)
    if (!upload || !bubble) return
    const template = document.createElement('template')
    template.innerHTML = uploadLineHtml([id, upload])
    bubble.replaceWith(template.content.firstElementChild)
  }

  const renderCustomer = (customer) => {
    $('customer-identity').textContent = `${customer.name} · ${customer.email}`
    const badge = $('chat-status')
    badge.dataset.mode = customer.mode
    badge.textContent =
      customer.mode === 'with-agent'
        ? `With ${customer.agentName}${customer.assignedInHubSpot === false ? ' (answering, not assigned in HubSpot)' : ''}`
        : MODE_LABELS[customer.mode]
    if (customer.mode === 'waiting' && customer.threadId) badge.textContent += ` · thread ${customer.threadId}`
    $('chat-input').placeholder = customer.mode === 'bot' ? 'Type a message… try “agent”' : 'Type a message to the agent…'
    const escalated = customer.mode !== 'bot'
    $('chat-escalate').disabled = escalated
    $('chat-end').disabled = customer.mode !== 'waiting' && customer.mode !== 'with-agent'
    renderChatLines(customer)
  }

  const threadItemHtml = (thread) => {
    const assignee = thread.assignee ? thread.assignee.name : 'Unassigned'
    return `<li class="thread-item" data-testid="thread-item" data-thread-id="${esc(thread.id)}" data-status="${esc(thread.status)}" aria-selected="${thread.id === ui.selectedThreadId}" tabindex="0">
      <div class="row"><span class="name">${esc(thread.customerName)}</span><span class="pill" data-status="${esc(thread.status)}">${esc(thread.status)}</span></div>
      <div class="meta">#${esc(thread.id)} · ${esc(thread.inboxName)} · <span data-testid="thread-assignee">${esc(assignee)}</span></div>
      <div class="meta" data-testid="thread-item-customer-kind">${esc(thread.customerKindLabel)}</div>
      <div class="preview">${esc(thread.preview)}</div>
    </li>`
  }

  const timelineEntryHtml = (entry) => {
    if (entry.kind === 'activity') return `<div class="activity" data-testid="thread-activity">${esc(entry.text)}</div>`
    const label = entry.author === 'integration' ? `${entry.senderName} · via the integration` : entry.senderName
    const status =
      entry.author === 'agent'
        ? `<span class="msg-status" data-testid="message-status" data-status="${esc(entry.status || 'PENDING')}">${esc(entry.status || 'sending…')}</span>`
        : ''
    const failure = entry.failure ? `<div class="failure">${esc(entry.failure)}</div>` : ''
    const attachments = entry.attachments.map(attachmentHtml).join('')
    return `<div class="msg" data-testid="thread-message" data-direction="${esc(entry.direction)}" data-author="${esc(entry.author)}">
      <div class="who"><span data-testid="message-sender">${esc(label)}</span><span>${time(entry.at)}</span>${status}</div>
      <div class="bubble"><span data-testid="message-text">${esc(entry.text)}</span>${attachments}</div>${failure}
    </div>`
  }

  const selectedThread = () => (ui.snapshot ? ui.snapshot.inbox.threads.find((thread) => thread.id === ui.selectedThreadId) : undefined)

  const renderInbox = (inbox) => {
    const select = $('agent-select')
    if (select.options.length === 0) {
      select.innerHTML = inbox.agents.map((agent) => `<option value="${esc(agent.actorId)}">${esc(agent.name)} (${esc(agent.actorId)})</option>`).join('')
    }
    // After a reload, the newest open thread (a customer waiting) is shown; afterwards each new
    // thread is shown as it arrives. Threads come newest first.
    // (A page opened before any thread existed treats the first one as new.)
    if (ui.firstInbox) {
      ui.firstInbox = false
      if (inbox.threads.length) {
        for (const thread of inbox.threads) ui.knownThreadIds.add(thread.id)
        const waiting = inbox.threads.find((thread) => thread.status === 'OPEN') || inbox.threads[0]
        ui.selectedThreadId = waiting.id
      }
    }
    for (const thread of inbox.threads) {
      if (!ui.knownThreadIds.has(thread.id)) {
        ui.knownThreadIds.add(thread.id)
        ui.selectedThreadId = thread.id
        ui.showStartOf = thread.id
      }
    }
    if (!inbox.threads.some((thread) => thread.id === ui.selectedThreadId)) ui.selectedThreadId = inbox.threads[0] ? inbox.threads[0].id : null

    $('thread-list').innerHTML = inbox.threads.length
      ? inbox.threads.map(threadItemHtml).join('')
      : '<li class="empty">Threads appear here when the bot escalates.</li>'

    const thread = selectedThread()
    const header = $('thread-header')
    header.dataset.threadId = thread ? thread.id : ''
    header.dataset.status = thread ? thread.status : ''
    header.innerHTML = thread
      ? `<span class="name">${esc(thread.customerName)}</span><span class="kind" data-testid="thread-customer-kind" data-kind="${esc(thread.customerKind)}">${esc(thread.customerKindLabel)}</span><span class="pill" data-testid="thread-status" data-status="${esc(thread.status)}">${esc(thread.status)}</span>
         <span class="meta">Thread #${esc(thread.id)} in ${esc(thread.inboxName)} · assigned to <strong data-testid="thread-header-assignee">${esc(thread.assignee ? thread.assignee.name : 'nobody')}</strong>${
           thread.answeredBy ? ` · <span data-testid="thread-answered-by">${esc(thread.answeredBy)} is answering (the customer sees them as the agent)</span>` : ''
         }</span>`
      : '<p class="empty">No conversation yet. Escalate from the customer chat.</p>'
    const timeline = $('thread-timeline')
    // A new thread opens at its start, the handover note; afterwards the timeline follows its end.
    if (thread && ui.showStartOf === thread.id) {
      timeline.innerHTML = thread.timeline.map(timelineEntryHtml).join('')
      timeline.scrollTop = 0
      // Until the escalation's burst of messages is over (a later message or an agent's action).
      const later = thread.timeline.some((entry) => Date.parse(entry.at) - Date.parse(thread.createdAt) > 3000 || entry.kind === 'activity')
      if (later) ui.showStartOf = null
    } else {
      keepAtEnd(timeline, () => {
        timeline.innerHTML = thread ? thread.timeline.map(timelineEntryHtml).join('') : ''
      })
    }
    renderAgentButtons()
  }

  const renderAgentButtons = () => {
    const thread = selectedThread()
    const actor = $('agent-select').value
    $('assign-button').disabled = ui.busy || !thread || (thread.assignee && thread.assignee.actorId.replace(/^A-/, '') === actor.replace(/^A-/, ''))
    $('close-button').disabled = ui.busy || !thread || thread.status === 'CLOSED'
    $('reopen-button').disabled = ui.busy || !thread || thread.status === 'OPEN'
    const closed = !thread || thread.status === 'CLOSED'
    $('reply-send').disabled = ui.busy || closed
    $('reply-input').disabled = closed
    $('reply-input').placeholder = thread && closed ? 'The conversation is closed: reopen it to reply' : 'Reply to the customer…'
  }

  const logEntryHtml = (entry) => {
    const hasStatus = entry.status !== undefined
    const failed = Boolean(entry.failed)
    const ok = hasStatus && entry.status !== null && entry.status < 300 && !failed
    const label = failed ? 'FAILED' : entry.status === null ? '—' : entry.status
    const code = hasStatus ? `<span class="code" data-ok="${ok}" data-failed="${failed}">${label}</span>` : '<span></span>'
    const reason = failed ? String(entry.failed).replace(/^Not delivered:\s*/i, '') : ''
    const text = failed ? `${entry.text} · the reply was not delivered: ${reason}` : entry.text
    return `<li data-testid="log-entry" data-kind="${esc(entry.kind)}" data-source="${esc(entry.source)}" data-failed="${failed}"${hasStatus ? ` data-status="${entry.status}"` : ''}>
      <span class="time">${time(entry.at)}</span><span class="source" data-source="${esc(entry.source)}">${esc(entry.source)}</span>${code}<span class="text">${esc(text)}</span></li>`
  }

  const renderSettings = (settings) => {
    const form = $('settings-form')
    form.elements.language.value = settings.language
    form.elements.contactPolicy.value = settings.contactPolicy
    form.elements.identity.value = settings.identity
    form.elements.autoAssign.checked = settings.autoAssign
    for (const name of ['rateLimit', 'serverErrors', 'duplicates', 'reorder']) form.elements[name].checked = settings.faults[name]
    // Armed faults stay visible with the panel closed (after a reload too).
    const labels = { rateLimit: '429', serverErrors: '503', duplicates: 'duplicates', reorder: 'reordering' }
    const armed = Object.keys(labels).filter((name) => settings.faults[name]).map((name) => labels[name])
    const badge = $('faults-armed')
    badge.hidden = armed.length === 0
    badge.textContent = armed.length ? `Faults on: ${armed.join(', ')}` : ''
  }

  // One-click mode: the setup strip plays the integration's page in Botpress (Connect button,
  // the default inbox ID saved in the configuration, Remove).
  const renderSetup = (setup) => {
    const strip = $('setup-strip')
    strip.hidden = !setup
    if (!setup) return
    const label = '<span class="setup-label">One-click setup</span>'
    const inboxForm = `<form data-testid="setup-inbox-form"><label>Default inbox ID <input type="text" name="defaultInboxId" inputmode="numeric" data-testid="setup-inbox-input" value="${esc(setup.defaultInboxId || '')}" placeholder="optional"></label>
      <button type="submit" data-testid="setup-inbox-save">Save</button></form>`
    if (setup.state === 'removed') {
      $('setup-body').innerHTML = `${label}<span class="setup-status" data-testid="setup-status" data-state="removed">Removed from the bot: its HubSpot access was revoked.</span>
        <button type="button" data-testid="setup-add-again">Add the integration again</button>`
      return
    }
    if (setup.state === 'not-connected') {
      $('setup-body').innerHTML = `${label}<span class="setup-status" data-testid="setup-status" data-state="not-connected">HubSpot is not connected.</span>
        <a class="button accent" data-testid="connect-hubspot" href="${esc(setup.connectUrl)}" target="_blank" rel="noopener">Connect HubSpot</a>
        ${inboxForm}
        <span class="setup-note">Botpress's Connect button: HubSpot asks which account to connect, then the integration's page confirms the portal and lists its inboxes to pick from.</span>`
      return
    }
    const inbox = setup.defaultInboxId
      ? `Escalations go to inbox ${esc(setup.defaultInboxId)} (Default inbox ID in the configuration).`
      : setup.pickedInboxId
        ? `Escalations go to inbox ${esc(setup.pickedInboxId)}, picked on the connection page.`
        : 'No inbox chosen yet: press Connect HubSpot again and pick one on the page that opens.'
    $('setup-body').innerHTML = `${label}<span class="setup-status" data-testid="setup-status" data-state="connected">Connected to portal ${esc(setup.portalId)}</span>
      <a class="button" data-testid="connect-hubspot" href="${esc(setup.connectUrl)}" target="_blank" rel="noopener" title="Connect again: the same portal, and the page to change the inbox">Connect HubSpot</a>
      ${inboxForm}
      <span class="setup-note" data-testid="setup-inbox-note">${inbox}</span>
      <button type="button" class="quiet" data-testid="setup-remove" title="Remove the integration from the bot: disconnects the portal and revokes the access">Remove</button>`
  }

  const setupAction = async (action, body) => {
    showError('setup-error', '')
    try {
      await postJson(`/api/one-click/${action}`, body)
    } catch (error) {
      showError('setup-error', error.message)
    }
  }
  $('setup-strip').addEventListener('submit', (event) => {
    event.preventDefault()
    void setupAction('inbox', { defaultInboxId: event.target.elements.defaultInboxId.value })
  })
  $('setup-strip').addEventListener('click', (event) => {
    if (event.target.closest('[data-testid="setup-remove"]')) void setupAction('remove')
    if (event.target.closest('[data-testid="setup-add-again"]')) void setupAction('add-again')
  })

  const renderLog = (log) => {
    const list = $('log-entries')
    keepAtEnd(list, () => {
      list.innerHTML = log.map(logEntryHtml).join('')
    })
  }

  // Each part re-renders only when its data changed, so typing and scrolling are left alone.
  const render = (snapshot) => {
    ui.snapshot = snapshot
    const parts = { links: [snapshot.links, renderLinks], settings: [snapshot.settings, renderSettings], customer: [snapshot.customer, renderCustomer], inbox: [snapshot.inbox, renderInbox], log: [snapshot.log, renderLog], setup: [snapshot.oneClick, renderSetup] }
    for (const [name, [data, draw]] of Object.entries(parts)) {
      const json = JSON.stringify(data)
      if (json === ui.rendered[name]) continue
      ui.rendered[name] = json
      draw(data)
    }
  }

  const rerenderInbox = () => {
    if (ui.snapshot) renderInbox(ui.snapshot.inbox)
  }

  const connect = () => {
    const connection = $('connection')
    const stream = new EventSource('/api/stream')
    stream.addEventListener('snapshot', (event) => {
      connection.dataset.state = 'live'
      connection.textContent = 'live'
      render(JSON.parse(event.data))
    })
    stream.onerror = () => {
      connection.dataset.state = 'lost'
      connection.textContent = 'reconnecting…'
    }
  }

  $('chat-form').addEventListener('submit', (event) => {
    event.preventDefault()
    const input = $('chat-input')
    const text = input.value.trim()
    if (!text) return
    input.value = ''
    void customerAction('say', { text })
  })
  $('settings-form').addEventListener('change', async (event) => {
    const field = event.target
    const faults = ['rateLimit', 'serverErrors', 'duplicates', 'reorder']
    const value = field.type === 'checkbox' ? field.checked : field.value
    const body = faults.includes(field.name) ? { faults: { [field.name]: value } } : { [field.name]: value }
    showError('chat-error', '')
    try {
      await postJson('/api/settings', body)
    } catch (error) {
      showError('chat-error', error.message)
    }
  })
  $('chat-escalate').addEventListener('click', () => void customerAction('escalate'))
  $('chat-end').addEventListener('click', () => void customerAction('end'))
  $('chat-restart').addEventListener('click', () => void customerAction('restart'))
  // The file goes as the request body itself, and its bubble shows the upload's progress at once.
  $('chat-file').addEventListener('change', async (event) => {
    const file = event.target.files[0]
    event.target.value = ''
    if (!file) return
    showError('chat-error', '')
    // The sandbox's own limit: said at once rather than after sending megabytes for nothing.
    if (file.size > MAX_UPLOAD_BYTES) {
      return showError('chat-error', `${file.name} is ${formatSize(file.size)}: the sandbox takes files up to ${formatSize(MAX_UPLOAD_BYTES)} (the integration forwards up to 10 MB to HubSpot).`)
    }
    const id = `u${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`
    ui.uploads.set(id, { name: file.name, size: file.size, loaded: 0, sent: false })
    if (ui.snapshot) renderChatLines(ui.snapshot.customer)
    const query = new URLSearchParams({ name: file.name, upload: id })
    try {
      await sendWithProgress(`/api/customer/file?${query}`, file, { 'content-type': file.type || 'application/octet-stream' }, (loaded, total) => {
        const upload = ui.uploads.get(id)
        if (!upload) return
        upload.loaded = loaded === total ? upload.size : loaded
        upload.sent = loaded === total
        showUploadProgress(id)
      })
    } catch (error) {
      showError('chat-error', `${file.name}: ${error.message}`)
    } finally {
      ui.uploads.delete(id)
      if (ui.snapshot) renderChatLines(ui.snapshot.customer)
    }
  })

  $('thread-list').addEventListener('click', (event) => {
    const item = event.target.closest('[data-thread-id]')
    if (!item) return
    ui.selectedThreadId = item.dataset.threadId
    showError('inbox-error', '')
    rerenderInbox()
  })
  $('agent-select').addEventListener('change', renderAgentButtons)

  const withBusyButtons = async (task) => {
    ui.busy = true
    renderAgentButtons()
    try {
      return await task()
    } finally {
      ui.busy = false
      renderAgentButtons()
    }
  }

  $('assign-button').addEventListener('click', () => withBusyButtons(() => agentAction('assign', { actorId: $('agent-select').value })))
  $('close-button').addEventListener('click', () => withBusyButtons(() => agentAction('close')))
  $('reopen-button').addEventListener('click', () => withBusyButtons(() => agentAction('reopen')))

  const showReplyFile = () => {
    const label = $('reply-file-name')
    label.hidden = !ui.replyFile
    label.textContent = ui.replyFile ? `Attached: ${ui.replyFile.name} (${formatSize(ui.replyFile.size)})` : ''
  }
  $('reply-file').addEventListener('change', (event) => {
    ui.replyFile = event.target.files[0] || null
    event.target.value = ''
    showReplyFile()
  })
  const showReplyProgress = (file, loaded, total) => {
    const element = $('reply-progress')
    element.hidden = !file
    if (!file) return
    const done = loaded >= total
    element.querySelector('progress').value = Math.floor((loaded / Math.max(total, 1)) * 100)
    element.querySelector('span').textContent = done
      ? `Uploaded ${file.name} · HubSpot is sending it…`
      : `Uploading ${file.name}… ${Math.floor((loaded / Math.max(total, 1)) * 100)} % of ${formatSize(file.size)}`
  }
  // A reply goes to the HubSpot stand-in as multipart: the file's bytes as they are, with progress.
  $('reply-form').addEventListener('submit', async (event) => {
    event.preventDefault()
    const input = $('reply-input')
    const text = input.value.trim()
    const file = ui.replyFile
    if (!text && !file) return showError('inbox-error', 'Write a reply or attach a file.')
    const base = ui.snapshot && ui.snapshot.links.controlApi
    if (!base || !ui.selectedThreadId) return
    const form = new FormData()
    form.append('actorId', $('agent-select').value)
    if (text) form.append('text', text)
    if (file) form.append('file', file, file.name)
    showError('inbox-error', '')
    if (file) showReplyProgress(file, 0, file.size)
    const sent = await withBusyButtons(async () => {
      try {
        await sendWithProgress(`${base}/threads/${encodeURIComponent(ui.selectedThreadId)}/reply`, form, {}, (loaded, total) => {
          if (file) showReplyProgress(file, loaded, total)
        })
        return true
      } catch (error) {
        showError('inbox-error', error.message)
        return false
      } finally {
        showReplyProgress(null)
      }
    })
    if (!sent) return
    input.value = ''
    ui.replyFile = null
    showReplyFile()
  })
  $('reply-input').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault()
      $('reply-form').requestSubmit()
    }
  })

  connect()
})()
