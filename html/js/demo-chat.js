// demo-chat.js — the demo pages' chat: a log of messages and room events
// and a one-line form.
//
// Design: ChatPanel knows nothing of the room: the page gives it lines
// (addMessage, addEvent) and an onSend callback that sends over the data
// channel (demo-room.js). The wire format of a chat line is the data
// object {type: "chat", text}; the sender is whoever the library says sent
// it (RoomEngine 'data' event's userId), never a name inside the message.
// While the panel is hidden, incoming messages count as unread on the
// toggle button. Test hooks: [data-testid=chat-message] with data-from
// (userId) and data-self, its [data-testid=chat-author] and
// [data-testid=chat-text].

/** The data-channel payload of a chat line. */
export const CHAT_TYPE = 'chat';

/**
 * @param {any} data a received payload
 * @returns {string | null} its text, when it is a chat line
 */
export function chatText(data) {
    if (!data || typeof data !== 'object' || data.type !== CHAT_TYPE || typeof data.text !== 'string')
        return null;
    const text = data.text.trim();
    return text ? text.slice(0, 1000) : null;
}

export class ChatPanel {
    /**
     * @param {{panel: HTMLElement, log: HTMLElement, form: HTMLFormElement, input: HTMLInputElement, unread: HTMLElement}} els
     * @param {(text: string) => boolean} onSend sends; false when it could not
     */
    constructor(els, onSend) {
        this.els = els;
        this.unread = 0;
        els.form.addEventListener('submit', (e) => {
            e.preventDefault();
            const text = els.input.value.trim();
            if (!text)
                return;
            if (onSend(text))
                els.input.value = '';
        });
    }

    get visible() {
        return !this.els.panel.hidden && this.els.panel.offsetParent !== null;
    }

    /** Clears the unread count (the panel was opened). */
    seen() {
        this.unread = 0;
        this.els.unread.hidden = true;
        this.els.unread.textContent = '';
    }

    /**
     * @param {HTMLElement} li
     */
    _append(li) {
        const log = this.els.log;
        const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
        log.append(li);
        while (log.childElementCount > 500)
            log.firstElementChild?.remove();
        if (atBottom)
            log.scrollTop = log.scrollHeight;
    }

    /**
     * @param {{from: string, name: string, text: string, self?: boolean, at?: Date}} m
     */
    addMessage(m) {
        const li = document.createElement('li');
        li.className = m.self ? 'msg self' : 'msg';
        li.dataset.testid = 'chat-message';
        li.dataset.from = m.from;
        if (m.self)
            li.dataset.self = 'yes';
        const head = document.createElement('div');
        head.className = 'meta';
        const who = document.createElement('b');
        who.dataset.testid = 'chat-author';
        who.textContent = m.self ? 'You' : m.name;
        const at = m.at || new Date();
        const time = document.createElement('time');
        time.dateTime = at.toISOString();
        time.textContent = at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
        head.append(who, time);
        const body = document.createElement('p');
        body.dataset.testid = 'chat-text';
        body.textContent = m.text;
        li.append(head, body);
        this._append(li);
        if (!m.self && !this.visible) {
            this.unread++;
            this.els.unread.hidden = false;
            this.els.unread.textContent = String(this.unread);
        }
    }

    /**
     * A room event ("Ann joined").
     * @param {string} text
     */
    addEvent(text) {
        const li = document.createElement('li');
        li.className = 'event';
        li.dataset.testid = 'chat-event';
        li.textContent = text;
        this._append(li);
    }

    clear() {
        this.els.log.replaceChildren();
        this.seen();
    }
}
