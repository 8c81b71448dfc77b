/* The counter page: a keyboard-first client of the Terminal API (/api/v1).
 *
 * The till's key is in an HttpOnly cookie; every call carries the page's CSRF token.
 * Scanners type like a keyboard and press Enter, sometimes twice (the seed's 输入券确认后又多敲回车):
 * an Enter while a request is in flight or right behind another Enter is dropped, and a
 * redemption reuses one Idempotency-Key per prepared code (and count), so a confirm sent again
 * (say after a lost answer) replays the first answer instead of redeeming twice.
 *
 * A bill stays open on the server until it is checked out: 挂单 (F3) only takes it off the
 * screen, 取单 (F7) lists the store's open bills to bring one back. Leaving a bill with vouchers
 * on it (挂单, a new bill, signing out) and the destructive actions (撤销 F4, 反结账) ask first.
 */
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const TEXT = JSON.parse($("texts").textContent);
  const CSRF = document.querySelector('meta[name="csrf-token"]').content;
  const LANG = document.documentElement.lang === "en" ? "en" : "zh-CN";
  const ORDER_KEY = "vb_cashier_order";
  const PLATFORMS_THAT_SYNC = ["weimall", "douyin", "meituan"];
  // A scanner sends its Enters within a few ms of each other; nobody reads the prepared value
  // that fast, so an Enter this close to the previous one never confirms anything.
  const SCANNER_BURST_MS = 150;
  // And an Enter that confirms comes from a person who has seen the value: a scanner's extra
  // Enter that lands just after a fast prepare answer (however slow the scanner) is not one.
  const READ_MS = 250;
  let lastEnterAt = -Infinity;
  let typedSinceEnter = false;
  // The server's clock minus this browser's (from each answer's Date header): a till whose
  // clock is off still counts the reversal window down to the server's deadline.
  let clockSkew = 0;

  const state = {
    busy: false,
    order: null,
    prepared: null, // {code, body, idemKey, shownAt, count, max}
    draft: [],
    tenders: [], // combined payment: tenders added before 结账
  };

  function say(template, params) {
    return template.replace(/\{(\w+)\}/g, (_, k) => (k in params ? params[k] : ""));
  }
  // Integer fen to "184.00" by integer arithmetic: never a float near money, even in a box.
  function yuan(fen) {
    const sign = fen < 0 ? "-" : "";
    const abs = Math.abs(fen);
    return sign + Math.floor(abs / 100) + "." + String(abs % 100).padStart(2, "0");
  }
  // "184", "184.5", "184.50" (full-width digits too) to integer fen by string arithmetic;
  // null for anything else, so a typo is refused rather than rounded.
  function parseYuan(text) {
    const plain = halfWidth(text).trim();
    if (plain === "") return 0;
    const match = /^(\d{1,9})(?:\.(\d{0,2}))?$/.exec(plain);
    if (!match) return null;
    return Number(match[1]) * 100 + Number((match[2] || "").padEnd(2, "0"));
  }
  function halfWidth(text) {
    return text.replace(/[\uFF10-\uFF19\uFF0E]/g, (ch) =>
      String.fromCharCode(ch.charCodeAt(0) - 0xfee0)
    );
  }
  function money(fen) {
    return (fen < 0 ? "-" : "") + say(TEXT.fen, { yuan: yuan(Math.abs(fen)) });
  }
  function label(prefix, value) {
    return TEXT[prefix + "." + value] || value;
  }

  // Chinese IME in full-width mode turns "A123" into "Ａ１２３"; codes are plain ASCII.
  function normalise(raw) {
    return raw
      .replace(/[\uFF01-\uFF5E]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) - 0xfee0))
      .replace(/[\s\u3000]+/g, "");
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "k" + Date.now() + "-" + Math.random().toString(16).slice(2);
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function button(text, className, onClick, ariaLabel) {
    const b = el("button", className, text);
    b.type = "button";
    if (ariaLabel) b.setAttribute("aria-label", ariaLabel);
    b.addEventListener("click", onClick);
    return b;
  }

  // --- messages, sound and colour -------------------------------------------------------------
  function showError(message) {
    const banner = $("banner");
    banner.textContent = message;
    banner.hidden = false;
  }
  function clearError() {
    $("banner").hidden = true;
    $("banner").textContent = "";
  }
  function showDone(message) {
    const done = $("done");
    done.textContent = message;
    done.hidden = !message;
  }
  function dialogOpen() {
    return !!document.querySelector("dialog[open]");
  }
  function focusScan() {
    if (dialogOpen()) return;
    const scan = $("scan");
    scan.focus();
    scan.select();
  }

  // A short tone made here (no audio file): high and short when a scan is accepted, low and
  // longer when it is refused; the scan box turns green or red with it.
  let audio = null;
  function beep(ok) {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      audio = audio || new Context();
      const start = audio.currentTime;
      const length = ok ? 0.12 : 0.35;
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = ok ? "sine" : "square";
      osc.frequency.setValueAtTime(ok ? 1320 : 220, start);
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.25, start + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + length);
      osc.connect(gain).connect(audio.destination);
      osc.start(start);
      osc.stop(start + length + 0.02);
    } catch (err) {
      /* no sound device: the colour still says it */
    }
  }
  function signal(ok) {
    const result = ok ? "accepted" : "refused";
    beep(ok);
    const col = $("scan-col");
    col.dataset.scan = "";
    void col.offsetWidth; // restart the flash when two scans in a row end the same way
    col.dataset.scan = result;
    const root = document.documentElement.dataset;
    root.beeps = String(Number(root.beeps || 0) + 1);
    root.lastBeep = result;
  }

  // A question before anything that cannot be taken back: resolves true for 确定, false for
  // 取消 or Esc. The confirm button has the focus, so Enter answers yes on purpose.
  function ask(message, yes) {
    const dialog = $("ask");
    $("ask-text").textContent = message;
    $("ask-yes").textContent = yes || $("ask-yes").dataset.yes;
    return new Promise((resolve) => {
      function finish(answer) {
        $("ask-yes").removeEventListener("click", onYes);
        $("ask-no").removeEventListener("click", onNo);
        dialog.removeEventListener("cancel", onCancel);
        if (dialog.open) dialog.close();
        resolve(answer);
      }
      const onYes = () => finish(true);
      const onNo = () => finish(false);
      const onCancel = (event) => {
        event.preventDefault();
        finish(false);
      };
      $("ask-yes").addEventListener("click", onYes);
      $("ask-no").addEventListener("click", onNo);
      dialog.addEventListener("cancel", onCancel);
      dialog.showModal();
      $("ask-yes").focus();
    });
  }

  // --- API ----------------------------------------------------------------------------------
  async function api(method, path, body, extraHeaders) {
    const headers = Object.assign(
      { "X-CSRF-Token": CSRF, "Accept-Language": LANG, Accept: "application/json" },
      extraHeaders || {}
    );
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, {
        method: method,
        headers: headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
      });
    } catch (err) {
      throw new Error(TEXT.network);
    }
    const served = Date.parse(response.headers.get("Date") || "");
    if (!Number.isNaN(served)) clockSkew = served + 500 - Date.now(); // Date drops the ms
    if (response.status === 401) {
      window.location.href = "/cashier/login";
      throw new Error("");
    }
    if (!response.ok) {
      let message = TEXT.network;
      try {
        message = (await response.json()).error.message;
      } catch (err) {
        /* not our envelope: keep the generic text */
      }
      throw new Error(message);
    }
    return response;
  }

  // One request at a time: the busy flag is what makes a scanner's second Enter harmless.
  // `refocus` (optional) names the control to give the focus back to instead of the scan box.
  async function run(action, refocus) {
    if (state.busy) return;
    state.busy = true;
    document.body.classList.add("busy");
    try {
      await action();
    } catch (err) {
      if (err.message) showError(err.message);
    } finally {
      state.busy = false;
      document.body.classList.remove("busy");
      const target = refocus ? refocus() : null;
      if (target) target.focus();
      else focusScan();
    }
  }

  // --- order --------------------------------------------------------------------------------
  function liveVouchers(order) {
    return order ? order.vouchers.filter((v) => v.status !== "reversed" && !v.reversed_at) : [];
  }
  function where(order) {
    return say(TEXT.where, { table: order.table || TEXT.no_table, guests: order.guests });
  }

  function renderOrder() {
    const order = state.order;
    $("order").hidden = !order;
    $("no-order").hidden = !!order;
    $("order-no").textContent = order ? order.order_no : "";
    if (!order) return;
    const open = order.status === "open";
    $("order-where").textContent = where(order);
    $("lines").replaceChildren(...order.lines.map((ln, i) => lineRow(ln, i, open)));
    $("service-fee").textContent = money(order.service_fee_fen);
    $("total").textContent = money(order.total_fen);
    $("discount").textContent = money(order.discount_fen);
    $("due").textContent = money(order.due_fen);
    $("vouchers").replaceChildren(...order.vouchers.map(voucherRow));
    $("checkout").hidden = !open;
    $("hold").hidden = !open;
    $("receipt-tools").hidden = open;
    renderTenders();
  }

  function lineRow(ln, index, open) {
    const tr = document.createElement("tr");
    tr.appendChild(el("td", "", ln.name));
    const qty = el("td", "qty");
    if (open) {
      qty.appendChild(
        button("−", "step", (e) => changeLine(index, -1, e), say(TEXT.less, { name: ln.name }))
      );
    }
    qty.appendChild(el("span", "n", ln.quantity + ln.unit));
    if (open) {
      qty.appendChild(
        button("+", "step", (e) => changeLine(index, 1, e), say(TEXT.more, { name: ln.name }))
      );
      qty.appendChild(
        button(
          TEXT.remove,
          "remove-line",
          () => changeLine(index, -ln.quantity),
          say(TEXT.remove_line, { name: ln.name })
        )
      );
    }
    qty.querySelectorAll("button").forEach((b) => (b.dataset.line = String(index)));
    tr.appendChild(qty);
    tr.appendChild(el("td", "", money(ln.amount_fen)));
    return tr;
  }

  // A line's quantity up or down, or the line gone: the whole bill's lines go to the API.
  // The focus goes back to the scan box (a scanner's Enter must never land on a + button),
  // unless the step came from the keyboard (a click with detail 0) and the line is still there.
  function changeLine(index, delta, event) {
    const order = state.order;
    if (!order || order.status !== "open") return;
    const lines = order.lines
      .map((ln, i) => ({
        item_code: ln.item_code,
        name: ln.name,
        unit: ln.unit,
        quantity: ln.quantity + (i === index ? delta : 0),
        unit_price_fen: ln.unit_price_fen,
      }))
      .filter((ln) => ln.quantity > 0);
    if (!lines.length) {
      showError(TEXT.last_line);
      return;
    }
    const kind = delta > 0 ? "+" : "−";
    const fromKeyboard = !!event && event.detail === 0;
    const stays = order.lines[index].quantity + delta > 0;
    run(
      async () => {
        clearError();
        const response = await api("PUT", "/api/v1/orders/" + order.id + "/lines", {
          lines: lines,
        });
        state.order = await response.json();
        renderOrder();
      },
      () =>
        (fromKeyboard &&
          stays &&
          Array.from(document.querySelectorAll("#lines button.step")).find(
            (b) => b.dataset.line === String(index) && b.textContent === kind
          )) ||
        null
    );
  }

  // Minutes (the last minute in seconds) left to reverse, from the redemption's own deadline.
  function windowText(until) {
    const left = until - (Date.now() + clockSkew);
    if (left <= 0) return TEXT.window_over;
    if (left < 60000) return say(TEXT.seconds_left, { n: Math.ceil(left / 1000) });
    return say(TEXT.minutes_left, { n: Math.ceil(left / 60000) });
  }
  function tickWindows() {
    for (const note of document.querySelectorAll("#vouchers .window[data-until]")) {
      const until = Number(note.dataset.until);
      note.textContent = windowText(until);
      note.classList.toggle("soon", until - (Date.now() + clockSkew) < 120000);
    }
  }

  function voucherRow(v) {
    const li = el("li", "voucher");
    li.appendChild(el("span", "", v.name + " · " + v.code + " · " + money(-v.discount_fen)));
    const note = el("span", "window");
    li.appendChild(note);
    if (v.status === "reversed" || v.reversed_at) {
      li.classList.add("reversed");
      note.textContent = TEXT.reversed;
      return li;
    }
    note.dataset.until = String(Date.parse(v.reversible_until));
    note.textContent = windowText(Number(note.dataset.until));
    if (state.order && state.order.status === "open") {
      const b = button(TEXT.reverse + " ", "reverse", () => reverse(v));
      b.dataset.id = v.id;
      b.appendChild(el("kbd", "", "F4"));
      li.appendChild(b);
    }
    return li;
  }

  async function loadOrder(id) {
    const response = await api("GET", "/api/v1/orders/" + id);
    state.order = await response.json();
    renderOrder();
  }

  // The checkout line and the receipt go blank as well as hidden, so no reader of the page
  // (a screen reader, a test) takes the last bill's "结账完成" or receipt for this one's.
  function hideBlank(id) {
    $(id).textContent = "";
    $(id).hidden = true;
  }

  function clearBillScreen() {
    cancelPrepare();
    state.tenders = [];
    hideBlank("change");
    hideBlank("receipt");
  }

  // Before the bill on screen leaves it (held, another bill, signing out): a bill that already
  // has vouchers on it asks first; the bill itself stays open on the server either way.
  async function mayLeaveBill() {
    const order = state.order;
    if (!order || order.status !== "open") return true;
    const live = liveVouchers(order);
    if (!live.length) return true;
    const amount = yuan(live.reduce((sum, v) => sum + v.discount_fen, 0));
    return ask(say(TEXT.leave_bill, { n: live.length, amount: amount }), TEXT.hold_yes);
  }

  function guestsValue() {
    const raw = halfWidth($("guests").value).trim();
    if (raw === "") return null;
    if (!/^\d{1,5}$/.test(raw) || Number(raw) > 10000) throw new Error(TEXT.bad_guests);
    return Number(raw);
  }

  async function openOrder() {
    if (state.busy || !(await mayLeaveBill())) return focusScan();
    run(async () => {
      clearError();
      showDone("");
      const lines = state.draft.length ? state.draft : null;
      const body = lines
        ? { lines: lines, service_fee_fen: 0 }
        : JSON.parse($("demo-order").textContent);
      const table = $("table").value.trim();
      const guests = guestsValue();
      if (table) body.table = table;
      if (guests !== null) body.guests = guests;
      const response = await api("POST", "/api/v1/orders", body);
      clearBillScreen();
      state.order = await response.json();
      sessionStorage.setItem(ORDER_KEY, String(state.order.id));
      state.draft = [];
      $("table").value = "";
      $("guests").value = "";
      renderDraft();
      renderOrder();
    });
  }

  // 挂单: the bill stays open on the server (取单 brings it back); the screen is free.
  async function holdOrder() {
    const order = state.order;
    if (state.busy || !order || order.status !== "open") return;
    if (!(await mayLeaveBill())) return focusScan();
    clearError();
    clearBillScreen();
    state.order = null;
    sessionStorage.removeItem(ORDER_KEY);
    renderOrder();
    showDone(say(TEXT.held, { where: where(order) }));
    focusScan();
  }

  // 取单: the store's open bills, oldest first; 取单 on a row puts that bill on the screen.
  function showBills() {
    if (dialogOpen()) return;
    run(async () => {
      clearError();
      const response = await api("GET", "/api/v1/orders?status=open");
      const bills = await response.json();
      $("bills-rows").replaceChildren(...bills.map(billRow));
      $("bills-empty").hidden = bills.length > 0;
      $("bills-table").hidden = bills.length === 0;
      $("bills").showModal();
    }, () => ($("bills").open ? document.querySelector("#bills-rows button") || $("bills-close") : null));
  }

  function billRow(bill) {
    const tr = document.createElement("tr");
    tr.dataset.order = String(bill.id);
    if (state.order && state.order.id === bill.id) tr.classList.add("current");
    // opened_at is already in the merchant's zone: its clock time is the one to show.
    const opened = bill.opened_at.slice(5, 10) + " " + bill.opened_at.slice(11, 16);
    const vouchers = bill.vouchers.map((v) => v.name + " " + money(-v.discount_fen)).join("、");
    for (const text of [bill.table || TEXT.no_table, String(bill.guests), opened,
      money(bill.due_fen), vouchers || "—"]) {
      tr.appendChild(el("td", "", text));
    }
    const cell = el("td");
    const b = button(TEXT.pick, "pick", () => pickBill(bill.id), TEXT.pick + " " + bill.order_no);
    cell.appendChild(b);
    tr.appendChild(cell);
    return tr;
  }

  async function pickBill(id) {
    $("bills").close();
    if (state.order && state.order.id === id) return focusScan();
    if (state.busy || !(await mayLeaveBill())) return focusScan();
    run(async () => {
      clearError();
      clearBillScreen();
      await loadOrder(id);
      sessionStorage.setItem(ORDER_KEY, String(id));
      showDone(say(TEXT.picked, { where: where(state.order) }));
    });
  }

  function renderDraft() {
    $("draft").replaceChildren(
      ...state.draft.map((ln) => el("li", "", ln.name + " × " + ln.quantity + ln.unit))
    );
  }

  function addItem(itemButton) {
    const code = itemButton.dataset.code;
    const line = state.draft.find((ln) => ln.item_code === code);
    if (line) line.quantity += 1;
    else
      state.draft.push({
        item_code: code,
        name: itemButton.dataset.name,
        unit: itemButton.dataset.unit,
        quantity: 1,
        unit_price_fen: Number(itemButton.dataset.price),
      });
    renderDraft();
  }

  // --- scan: prepare, how many, confirm -----------------------------------------------------
  function cancelPrepare() {
    state.prepared = null;
    $("prepare").hidden = true;
    $("count-box").hidden = true;
  }

  function showPrepared(code, body) {
    const max = Math.max(1, body.available_count || 1);
    state.prepared = {
      code: code, body: body, idemKey: newKey(), shownAt: performance.now(), count: 1, max: max,
    };
    $("prepare-title").textContent = body.platform_title || body.name;
    const meta = [label("platform", body.platform), label("kind", body.kind), code];
    if (max > 1) meta.push(say(TEXT.count, { n: max }));
    $("prepare-meta").textContent = meta.join(" · ");
    $("count").max = String(max);
    $("count-of").textContent = say(TEXT.count_of, { n: max });
    $("count-box").hidden = max <= 1;
    showCount();
    $("prepare").hidden = false;
  }

  function showCount() {
    const p = state.prepared;
    $("count").value = String(p.count);
    $("count-minus").disabled = p.count <= 1;
    $("count-plus").disabled = p.count >= p.max;
    const amount = money(p.body.discount_fen * p.count);
    $("prepare-value").textContent =
      p.count > 1 ? say(TEXT.discount_n, { amount: amount, n: p.count }) : say(TEXT.discount, { amount: amount });
  }

  // How many of the platform order's vouchers this scan uses (1..what the platform said).
  function setCount(n) {
    const p = state.prepared;
    if (!p || !Number.isInteger(n)) return;
    const count = Math.min(Math.max(n, 1), p.max);
    if (count !== p.count) {
      p.count = count;
      p.idemKey = newKey(); // another body: another request, never a replay of the first
    }
    showCount();
  }

  function prepare(code) {
    run(async () => {
      clearError();
      showDone("");
      cancelPrepare();
      if (!state.order || state.order.status !== "open") throw new Error(TEXT.need_order);
      let body;
      try {
        const response = await api("POST", "/api/v1/vouchers/prepare", {
          code: code,
          order_id: state.order.id,
        });
        body = await response.json();
      } catch (err) {
        signal(false);
        throw err;
      }
      signal(true);
      showPrepared(code, body);
      $("scan").value = "";
    });
  }

  function confirm() {
    const prepared = state.prepared;
    if (!prepared) return;
    run(async () => {
      clearError();
      const body = { code: prepared.code, order_id: state.order.id };
      if (prepared.count > 1) body.count = prepared.count;
      let redemption;
      try {
        // The same key for every confirm of this prepared code: a repeat gets the first answer.
        const response = await api("POST", "/api/v1/redemptions", body, {
          "Idempotency-Key": prepared.idemKey,
        });
        redemption = await response.json();
      } catch (err) {
        signal(false);
        throw err;
      }
      signal(true);
      if (state.prepared === prepared) cancelPrepare();
      $("scan").value = "";
      const all = redemption.redemptions || [redemption];
      const amount = money(all.reduce((sum, r) => sum + r.discount_fen, 0));
      showDone(
        all.length > 1
          ? say(TEXT.redeemed_n, { name: redemption.name, n: all.length, amount: amount })
          : say(TEXT.redeemed, { name: redemption.name, amount: amount })
      );
      await loadOrder(state.order.id);
    });
  }

  function onScanEnter() {
    const code = normalise($("scan").value);
    if (state.prepared && (!code || code === state.prepared.code)) {
      if (performance.now() - state.prepared.shownAt < READ_MS) return;
      confirm();
    } else if (code) {
      prepare(code);
    }
    // An Enter on an empty box with nothing prepared is the scanner's extra Enter: ignore it.
  }

  // --- reverse, pay, check out, receipt ----------------------------------------------------
  async function reverse(v) {
    if (state.busy || dialogOpen()) return;
    const platform = PLATFORMS_THAT_SYNC.includes(v.platform)
      ? say(TEXT.ask_reverse_platform, { platform: label("platform", v.platform) })
      : "";
    const question = say(TEXT.ask_reverse, {
      name: v.name,
      amount: yuan(v.discount_fen),
      platform: platform,
    });
    if (!(await ask(question, TEXT.reverse_yes))) return focusScan();
    run(async () => {
      clearError();
      const response = await api("POST", "/api/v1/redemptions/" + v.id + "/reverse", {});
      const reversed = await response.json();
      showDone(say(TEXT.reversed_ok, { name: reversed.name }));
      await loadOrder(state.order.id);
    });
  }

  function reverseLast() {
    if (!state.order || state.order.status !== "open") return;
    const live = liveVouchers(state.order);
    if (live.length) reverse(live[live.length - 1]);
  }

  // The tender in the boxes (null for an empty amount); a refusal says what is missing.
  function tenderInBoxes() {
    const type = $("tender").value;
    const amount = parseYuan($("amount").value);
    if (amount === null) throw new Error(TEXT.bad_amount);
    if (amount === 0) return null;
    const tender = { type: type, amount_fen: amount };
    if (type === "member_card") {
      const card = $("card-no").value.trim();
      if (!card) throw new Error(TEXT.need_card);
      tender.member = { card_no: card };
    }
    if (type === "wechat" || type === "alipay") {
      const reference = $("reference").value.trim();
      if (!reference) throw new Error(TEXT.need_reference);
      tender.reference = reference;
    }
    return tender;
  }

  function remainingFen() {
    const paid = state.tenders.reduce((sum, t) => sum + t.amount_fen, 0);
    return state.order.due_fen - paid;
  }

  function renderTenders() {
    const order = state.order;
    const open = order && order.status === "open";
    $("tenders").replaceChildren(
      ...(open ? state.tenders : []).map((t, i) => {
        const li = el("li", "tender");
        li.appendChild(el("span", "", label("tender", t.type) + " " + money(t.amount_fen)));
        if (t.member) li.appendChild(el("span", "hint", t.member.card_no));
        if (t.reference) li.appendChild(el("span", "hint", t.reference));
        li.appendChild(
          button(TEXT.remove, "remove-tender", () => removeTender(i),
            TEXT.remove + " " + label("tender", t.type) + " " + yuan(t.amount_fen))
        );
        return li;
      })
    );
    const remaining = $("remaining");
    remaining.hidden = !open || !state.tenders.length;
    if (!open) return;
    const left = remainingFen();
    const nonCash = state.tenders.filter((t) => t.type !== "cash");
    const overNonCash = nonCash.reduce((sum, t) => sum + t.amount_fen, 0) - order.due_fen;
    remaining.classList.toggle("warn", overNonCash > 0);
    if (overNonCash > 0) remaining.textContent = say(TEXT.over_non_cash, { amount: yuan(overNonCash) });
    else if (left > 0) remaining.textContent = say(TEXT.still_due, { amount: yuan(left) });
    else if (left === 0) remaining.textContent = TEXT.paid_up;
    else remaining.textContent = say(TEXT.give_change, { amount: yuan(-left) });
    if (document.activeElement !== $("amount")) $("amount").value = yuan(Math.max(left, 0));
  }

  // 组合支付: one more tender on the list; the amount box then holds what is still due.
  function addTender() {
    if (!state.order || state.order.status !== "open") return;
    clearError();
    try {
      const tender = tenderInBoxes();
      if (!tender) return;
      state.tenders.push(tender);
    } catch (err) {
      showError(err.message);
      return;
    }
    $("card-no").value = "";
    $("reference").value = "";
    $("amount").blur();
    renderTenders();
    $("amount").focus();
    $("amount").select();
  }

  function removeTender(index) {
    state.tenders.splice(index, 1);
    $("amount").blur();
    renderTenders();
    $("amount").focus();
  }

  function checkout() {
    if (!state.order || state.order.status !== "open") return;
    run(async () => {
      clearError();
      const tenders = state.tenders.slice();
      const inBoxes = tenderInBoxes();
      if (inBoxes) tenders.push(inBoxes);
      const response = await api("POST", "/api/v1/orders/" + state.order.id + "/checkout", {
        tenders: tenders,
      });
      state.tenders = [];
      state.order = await response.json();
      renderOrder();
      const change = $("change");
      change.textContent =
        TEXT.checked_out +
        (state.order.change_fen ? " · " + say(TEXT.change, { amount: money(state.order.change_fen) }) : "");
      change.hidden = false;
      showDone("");
    });
  }

  // 反结账: the order opens again and the API reverses its vouchers (inside their windows).
  async function reopen() {
    const order = state.order;
    if (state.busy || !order || order.status === "open") return;
    const live = liveVouchers(order);
    const paid = yuan(order.tenders.reduce((sum, t) => sum + t.amount_fen, 0));
    const question = live.length
      ? say(TEXT.ask_reopen, { paid: paid, n: live.length })
      : say(TEXT.ask_reopen_plain, { paid: paid });
    if (!(await ask(question, TEXT.reopen_yes))) return focusScan();
    run(async () => {
      clearError();
      const response = await api("POST", "/api/v1/orders/" + order.id + "/reopen", {});
      state.order = await response.json();
      hideBlank("change");
      hideBlank("receipt");
      renderOrder();
      showDone(TEXT.reopened);
    });
  }

  function receiptUrl(format, width, preview) {
    return (
      "/api/v1/orders/" + state.order.id + "/receipt?format=" + format + "&width=" + width +
      (preview ? "&preview=true" : "")
    );
  }

  function showReceipt(width, preview) {
    if (!state.order || state.order.status === "open") return;
    run(async () => {
      clearError();
      const response = await api("GET", receiptUrl("text", width, preview));
      const pre = $("receipt");
      pre.textContent = await response.text();
      pre.className = "receipt w" + width;
      pre.hidden = false;
      if (!preview) window.print();
    });
  }

  // 打印小票: the API sends ESC/POS to the till's network printer and names the printer.
  function netPrint() {
    if (!state.order || state.order.status === "open") return;
    run(async () => {
      clearError();
      showDone("");
      const response = await api("POST", "/api/v1/orders/" + state.order.id + "/receipt/print");
      const sent = await response.json();
      showDone(say($("net-print").dataset.sent, { printer: sent.printer, n: sent.print_count }));
    });
  }

  function downloadPdf() {
    if (!state.order || state.order.status === "open") return;
    run(async () => {
      clearError();
      // A plain link could not carry the CSRF header, so fetch and hand the bytes over.
      const response = await api("GET", receiptUrl("pdf", 80, false));
      const url = URL.createObjectURL(await response.blob());
      const link = document.createElement("a");
      link.href = url;
      link.download = "receipt-" + state.order.order_no + ".pdf";
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    });
  }

  // 线上支付 (self-pay, cashier_live.js): the bill a guest paid on the phone is brought up and
  // settled with what it holds (its vouchers and the WeChat payment); the receipt is shown.
  // Resolves true once the bill is closed.
  function settleOnline(orderId) {
    return new Promise((resolve) => {
      if (state.busy) return resolve(false);
      run(async () => {
        clearError();
        if (!state.order || state.order.id !== orderId) {
          clearBillScreen();
          await loadOrder(orderId);
          sessionStorage.setItem(ORDER_KEY, String(orderId));
        }
        if (state.order.status === "open") {
          const response = await api("POST", "/api/v1/orders/" + orderId + "/checkout", {
            tenders: [],
          });
          state.tenders = [];
          state.order = await response.json();
          renderOrder();
          $("change").textContent = TEXT.checked_out;
          $("change").hidden = false;
        }
        const receipt = await api("GET", receiptUrl("text", 80, true));
        const pre = $("receipt");
        pre.textContent = await receipt.text();
        pre.className = "receipt w80";
        pre.hidden = false;
        showDone(TEXT.checked_out);
      }).then(() => resolve(!!state.order && state.order.id === orderId && state.order.status !== "open"));
    });
  }

  // A payment arrived for the bill on screen: show it paid (what is due drops) at once, so
  // nobody takes the same money again in cash.
  function refreshOnline(orderId) {
    if (!state.order || state.order.id !== orderId || state.order.status !== "open") return;
    run(async () => {
      await loadOrder(orderId);
      renderTenders();
    });
  }

  // --- wiring -------------------------------------------------------------------------------
  function onKey(event) {
    if (event.isComposing || dialogOpen()) return; // a dialog answers its own keys (Esc ...)
    const keys = {
      F2: openOrder,
      F3: holdOrder,
      F4: reverseLast,
      F7: showBills,
      F8: checkout,
      F9: () => showReceipt(80, false),
    };
    if (keys[event.key]) {
      event.preventDefault();
      keys[event.key]();
      return;
    }
    if (event.key === "Escape") {
      event.preventDefault();
      cancelPrepare();
      clearError();
      $("scan").value = "";
      focusScan();
    }
  }

  // +/- (and the arrow keys) on the empty scan box change how many vouchers the scan uses.
  function countKey(event) {
    const p = state.prepared;
    if (!p || p.max <= 1 || $("scan").value !== "") return false;
    const step = { "+": 1, "=": 1, ArrowUp: 1, "-": -1, ArrowDown: -1 }[event.key];
    if (!step) return false;
    event.preventDefault();
    setCount(p.count + step);
    return true;
  }

  function start() {
    $("scan").addEventListener("keydown", (event) => {
      if (event.isComposing || countKey(event)) return;
      if (event.key.length === 1) {
        typedSinceEnter = true;
        return;
      }
      if (event.key !== "Enter") return;
      event.preventDefault();
      const now = performance.now();
      // A scanner's doubled Enter comes with nothing typed in between; a new code never is one.
      const burst = event.repeat || (now - lastEnterAt < SCANNER_BURST_MS && !typedSinceEnter);
      lastEnterAt = now;
      typedSinceEnter = false;
      if (!burst) onScanEnter();
    });
    $("ask-yes").dataset.yes = $("ask-yes").textContent;
    $("confirm").addEventListener("click", confirm);
    $("cancel").addEventListener("click", () => {
      cancelPrepare();
      focusScan();
    });
    $("count-minus").addEventListener("click", () => state.prepared && setCount(state.prepared.count - 1));
    $("count-plus").addEventListener("click", () => state.prepared && setCount(state.prepared.count + 1));
    $("count").addEventListener("change", () => setCount(Number($("count").value)));
    $("open-order").addEventListener("click", openOrder);
    $("hold").addEventListener("click", holdOrder);
    $("show-bills").addEventListener("click", showBills);
    $("bills-close").addEventListener("click", () => {
      $("bills").close();
      focusScan();
    });
    $("bills").addEventListener("close", () => focusScan());
    for (const item of document.querySelectorAll("button.item")) {
      item.addEventListener("click", () => addItem(item));
    }
    $("tender").addEventListener("change", () => {
      const type = $("tender").value;
      for (const node of document.querySelectorAll(".member-only")) {
        node.hidden = type !== "member_card";
      }
      for (const node of document.querySelectorAll(".reference-only")) {
        node.hidden = type !== "wechat" && type !== "alipay";
      }
    });
    $("add-tender").addEventListener("click", addTender);
    $("checkout").addEventListener("submit", (event) => {
      event.preventDefault();
      checkout();
    });
    $("logout-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!(await mayLeaveBill())) return focusScan();
      $("logout-form").submit(); // submit() fires no submit event: no second question
    });
    $("preview-58").addEventListener("click", () => showReceipt(58, true));
    $("preview-80").addEventListener("click", () => showReceipt(80, true));
    $("pdf").addEventListener("click", downloadPdf);
    $("print").addEventListener("click", () => showReceipt(80, false));
    $("net-print").addEventListener("click", netPrint);
    $("reopen").addEventListener("click", reopen);
    document.addEventListener("keydown", onKey);
    // The time left to reverse each voucher counts down on screen, second by second.
    setInterval(tickWindows, 1000);

    const saved = sessionStorage.getItem(ORDER_KEY);
    if (saved) {
      run(async () => {
        try {
          await loadOrder(saved);
        } catch (err) {
          sessionStorage.removeItem(ORDER_KEY);
        }
      });
    }
    renderOrder();
    focusScan();
    window.VBCashier = { beep: beep, settle: settleOnline, refresh: refreshOnline }; // cashier_live.js
    // Keys pressed before this point went nowhere; tests (and a curious integrator) wait for it.
    document.documentElement.dataset.ready = "1";
  }

  start();
})();
