/* The web chat: a small page of our own on Rasa's socket.io channel (docs/WEBCHAT.md).
 *
 * Protocol (Rasa's SocketIOInput with session_persistence, as rasa-webchat spoke it):
 *   -> session_request {session_id}          on every (re)connect; null for a new conversation
 *   <- session_confirm session_id            the socket joins that conversation's room; the id is
 *                                             issued by the server (channels/ids.py): one it did not
 *                                             issue, or that another live socket holds, is answered
 *                                             with a fresh id, which the page then keeps
 *   -> user_uttered {message, customData, session_id}
 *   <- bot_uttered {text, quick_replies?: [{title, payload}], buttons?: [...]}
 *
 * Accessibility (WCAG 2.1 AA, tested in tests/test_webchat.py with axe-core):
 *   - the conversation is a polite live region (role="log"): each new message is
 *     announced once; the history redrawn after a reload is not (the region is
 *     put into the page already filled);
 *   - every control is a real <button> or <input> with a name; quick replies are a
 *     labelled group; once one is chosen the group is disabled, the choice is
 *     marked (aria-pressed) and shown as the user's message, so it is announced
 *     and cannot be sent twice;
 *   - nothing takes the focus on its own: the page never focuses anything on load
 *     or when a message arrives; only a quick reply pressed by the user hands
 *     the focus to the input (the button it was on is disabled);
 *   - the text is never parsed as HTML: messages are built with text nodes; links
 *     (URLs and [text](url) in answers) become <a> elements by hand.
 *
 * window.WEBCHAT_CONFIG comes from /config.js (stack/web.py):
 *   rasaPort  - the Rasa server's port (RASA_PORT)
 *   socketUrl - RASA_SOCKET_URL if set, else null: same host as this page, port rasaPort
 */
(function () {
  'use strict';

  var config = window.WEBCHAT_CONFIG || {};
  var SOCKET_URL = config.socketUrl ||
    (window.location.protocol + '//' + window.location.hostname + ':' + (config.rasaPort || 5005));
  var CUSTOM_DATA = { language: 'en' };   // the message metadata (credentials.yml: metadata_key customData)
  var INIT_PAYLOAD = '/greet';            // a new conversation opens with utter_greet and its buttons
  var STORE_KEY = 'microcred-chat';       // sessionStorage: kept across reloads of this tab only
  var MAX_STORED = 200;                   // messages kept for redrawing after a reload

  var doc = document;
  var status = doc.getElementById('chat-status');
  var form = doc.getElementById('chat-form');
  var input = doc.getElementById('chat-input');
  var slot = doc.getElementById('chat-log-slot');

  // ------------------------------------------------------------------ storage

  function load() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(STORE_KEY) || 'null');
      if (saved && typeof saved === 'object' && Array.isArray(saved.messages)) { return saved; }
    } catch (e) { /* unreadable or blocked storage: start afresh */ }
    return { sessionId: null, messages: [] };
  }

  var state = load();

  function save() {
    // only the last MAX_STORED messages are kept for the next load (this page keeps them all)
    var kept = { sessionId: state.sessionId, messages: state.messages.slice(-MAX_STORED) };
    try { window.sessionStorage.setItem(STORE_KEY, JSON.stringify(kept)); } catch (e) { /* full or blocked */ }
  }

  // ------------------------------------------------------------------ rendering

  function el(tag, className, text) {
    var node = doc.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  var LINK = /\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)|(https?:\/\/[^\s<>"]+[^\s<>".,;:!?)'\]])/g;
  var BOLD = /\*\*([^*\n]+)\*\*/g;

  function addText(parent, text) {
    // **bold** as <strong>, the rest as text nodes
    var at = 0;
    var m;
    BOLD.lastIndex = 0;
    while ((m = BOLD.exec(text)) !== null) {
      if (m.index > at) { parent.appendChild(doc.createTextNode(text.slice(at, m.index))); }
      parent.appendChild(el('strong', null, m[1]));
      at = m.index + m[0].length;
    }
    if (at < text.length) { parent.appendChild(doc.createTextNode(text.slice(at))); }
  }

  function addLink(parent, label, href) {
    var a = el('a', null, label);
    a.href = href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    a.appendChild(el('span', 'visually-hidden', ' (opens in a new tab)'));
    parent.appendChild(a);
  }

  function renderAnswer(parent, text) {
    // an answer's text: line breaks kept (CSS pre-wrap), links and **bold** rendered, nothing as HTML
    var at = 0;
    var m;
    LINK.lastIndex = 0;
    while ((m = LINK.exec(text)) !== null) {
      if (m.index > at) { addText(parent, text.slice(at, m.index)); }
      if (m[1]) { addLink(parent, m[1], m[2]); } else { addLink(parent, m[3], m[3]); }
      at = m.index + m[0].length;
    }
    if (at < text.length) { addText(parent, text.slice(at)); }
  }

  var log = el('div', 'log');
  log.id = 'chat-log';
  log.setAttribute('role', 'log');
  log.setAttribute('aria-live', 'polite');
  log.setAttribute('aria-relevant', 'additions');
  log.setAttribute('aria-label', 'Conversation');
  log.tabIndex = 0;  // scrollable: reachable and scrollable by keyboard

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function replyGroup(message, index) {
    var group = el('div', 'replies');
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', 'Suggested replies');
    message.buttons.forEach(function (button, i) {
      var b = el('button', 'reply', button.title);
      b.type = 'button';
      b.setAttribute('aria-pressed', message.chosen === i ? 'true' : 'false');
      if (message.chosen === i) { b.classList.add('chosen'); }
      if (message.closed) { b.disabled = true; }
      b.addEventListener('click', function () { choose(index, i); });
      group.appendChild(b);
    });
    return group;
  }

  function messageNode(message, index) {
    var fromBot = message.from === 'bot';
    var row = el('div', 'msg ' + (fromBot ? 'msg-bot' : 'msg-user'));
    row.dataset.index = String(index);
    var bubble = el('div', 'bubble');
    bubble.appendChild(el('span', 'visually-hidden', fromBot ? 'Assistant: ' : 'You: '));
    var body = el('span', 'text');
    if (fromBot) { renderAnswer(body, message.text); } else { body.textContent = message.text; }
    bubble.appendChild(body);
    row.appendChild(bubble);
    if (fromBot && message.buttons && message.buttons.length) { row.appendChild(replyGroup(message, index)); }
    return row;
  }

  function append(message) {
    state.messages.push(message);
    save();
    log.appendChild(messageNode(message, state.messages.length - 1));
    scrollToEnd();
  }

  var typing = el('div', 'typing');
  typing.setAttribute('aria-hidden', 'true');  // the answer itself is announced, not the dots
  typing.hidden = true;
  typing.appendChild(el('span', 'dot'));
  typing.appendChild(el('span', 'dot'));
  typing.appendChild(el('span', 'dot'));

  function setTyping(on) {
    typing.hidden = !on;
    if (on) { scrollToEnd(); }
  }

  // ------------------------------------------------------------------ talking

  var socket = null;
  var confirmed = false;
  var pending = [];  // messages typed before the session was confirmed

  function emit(text) {
    if (!confirmed) { pending.push(text); return; }
    socket.emit('user_uttered', { message: text, customData: CUSTOM_DATA, session_id: state.sessionId });
  }

  function closeReplies() {
    // earlier suggestions are history once the user has said something
    state.messages.forEach(function (m, index) {
      if (m.buttons && m.buttons.length && !m.closed) {
        m.closed = true;
        var row = log.querySelector('.msg[data-index="' + index + '"]');
        if (row) {
          Array.prototype.forEach.call(row.querySelectorAll('button.reply'), function (b) { b.disabled = true; });
        }
      }
    });
  }

  function send(text, shown) {
    closeReplies();
    append({ from: 'user', text: shown });
    setTyping(true);
    emit(text);
  }

  function choose(index, i) {
    var message = state.messages[index];
    if (!message || message.closed) { return; }  // a quick reply is sent once
    var button = message.buttons[i];
    var row = log.querySelector('.msg[data-index="' + index + '"]');
    message.chosen = i;
    var chosen = row && row.querySelectorAll('button.reply')[i];
    if (chosen) {
      chosen.classList.add('chosen');
      chosen.setAttribute('aria-pressed', 'true');
    }
    send(button.payload, button.title);  // disables the group: the focus moves to the input
    input.focus();
  }

  function onBotUttered(data) {
    if (!data || typeof data !== 'object') { return; }
    setTyping(false);
    var replies = data.quick_replies || data.buttons || [];
    var buttons = replies.filter(function (b) {
      return b && typeof b.title === 'string' && typeof b.payload === 'string';
    }).map(function (b) { return { title: b.title, payload: b.payload }; });
    var text = typeof data.text === 'string' ? data.text : '';
    if (!text && !buttons.length) { return; }
    append({ from: 'bot', text: text, buttons: buttons });
  }

  function setStatus(text, problem) {
    status.textContent = text;
    status.classList.toggle('status-problem', Boolean(problem));
    status.hidden = !text;
  }

  function connect() {
    if (typeof window.io !== 'function') {
      setStatus('The chat could not start: socket.io.min.js is missing (run `make web`).', true);
      return;
    }
    socket = window.io(SOCKET_URL, { path: '/socket.io/' });
    socket.on('connect', function () {
      confirmed = false;
      socket.emit('session_request', { session_id: state.sessionId });
    });
    socket.on('session_confirm', function (data) {
      var id = typeof data === 'string' ? data : (data && data.session_id);
      if (typeof id !== 'string' || !id) { return; }
      var fresh = state.messages.length === 0;  // nothing shown yet: open with the greeting
      state.sessionId = id;
      save();
      confirmed = true;
      setStatus('', false);
      if (fresh && !pending.length) {
        setTyping(true);
        emit(INIT_PAYLOAD);
      }
      pending.splice(0).forEach(emit);
    });
    socket.on('bot_uttered', onBotUttered);
    socket.on('disconnect', function () {
      confirmed = false;
      setStatus('Connection to the assistant lost. Reconnecting…', true);
    });
    socket.on('connect_error', function () {
      setStatus('Cannot reach the assistant. Retrying…', true);
    });
  }

  // ------------------------------------------------------------------ start

  state.messages.forEach(function (message, index) { log.appendChild(messageNode(message, index)); });
  // the region goes into the page already filled: the history is not read out again
  slot.replaceWith(log);
  log.after(typing);
  scrollToEnd();

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = '';
    send(text, text);
  });

  connect();
})();
