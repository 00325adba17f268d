// demo-banner.js — the message strip under the demo pages' header.
//
// Design: one banner, one Notice at a time (demo-messages.js): a new
// notice replaces the current one; a non-sticky one hides itself after a
// few seconds; hide(key) removes the banner only if it still shows that
// subject (so "reconnected" does not get hidden by a late "reconnecting"
// clean-up). Every notice shown is also kept in `history` (for tests and
// for looking back in the console). The element is role=alert, so screen
// readers announce each message.

/** @typedef {import('./demo-messages.js').Notice} Notice */

export class Banner {
    /**
     * @param {HTMLElement} el the banner
     * @param {HTMLElement} text where the text goes
     * @param {HTMLElement} close the dismiss button
     * @param {number} [autoHideMs] for non-sticky notices (default 6000)
     */
    constructor(el, text, close, autoHideMs = 6000) {
        this.el = el;
        this.text = text;
        this.autoHideMs = autoHideMs;
        /** @type {(Notice & {t: number})[]} */
        this.history = [];
        /** @type {Notice | null} */
        this.current = null;
        /** @type {any} */
        this._timer = null;
        close.addEventListener('click', () => this.hide());
    }

    /**
     * @param {Notice} notice
     */
    show(notice) {
        clearTimeout(this._timer);
        this.current = notice;
        this.history.push({ ...notice, t: Date.now() });
        this.el.dataset.kind = notice.kind;
        this.el.dataset.key = notice.key;
        this.text.textContent = notice.text;
        this.el.hidden = false;
        if (!notice.sticky)
            this._timer = setTimeout(() => this.hide(notice.key), this.autoHideMs);
    }

    /**
     * Hides the banner (only if it shows `key`, when given).
     * @param {string} [key]
     */
    hide(key) {
        if (key !== undefined && (!this.current || this.current.key !== key))
            return;
        clearTimeout(this._timer);
        this.current = null;
        this.el.hidden = true;
        delete this.el.dataset.key;
    }
}
