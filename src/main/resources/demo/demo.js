/*
 * Demo EHR for mineral-cds: a patient chart read from the embedded FHIR server and a CDS Hooks
 * client that calls patient-view, renders the cards the way EHRs do and sends feedback.
 * Vanilla ES2020, no build step, nothing loaded from outside this origin.
 */
'use strict';

(() => {
  const FHIR = '/fhir';
  const USER_ID = 'Practitioner/demo-clinician';
  const AUTHORIZATION = Object.freeze({
    access_token: 'demo-token',
    token_type: 'Bearer',
    expires_in: 300,
    scope: 'patient/*.read',
    subject: 'mineral-cds-demo',
  });
  const INDICATOR_RANK = { critical: 0, warning: 1, info: 2 };
  const INDICATOR_LABEL = { critical: 'Critical', warning: 'Warning', info: 'Info' };
  const V3_INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
  const FLAG_LABEL = {
    N: 'Normal', L: 'Low', H: 'High', LL: 'Critical low', HH: 'Critical high', A: 'Abnormal',
    AA: 'Critical abnormal', LU: 'Significantly low', HU: 'Significantly high',
  };
  const CRITICAL_FLAGS = new Set(['LL', 'HH', 'AA', 'LU', 'HU', 'CRIT', 'PANIC']);
  const DAY_MS = 86400000;
  /** obj[key] for the object's own keys only: card and FHIR strings never reach the prototype. */
  const own = (obj, key) => (typeof key === 'string' && Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined);

  const state = {
    patients: new Map(),
    patientId: null,
    service: null, // promise of the discovery entry
    chartSeq: 0,
    hookSeq: 0,
    drafts: [], // ServiceRequests created by accepted suggestions, this session
    medications: new Map(), // Medication/{id} cache
    cardCounter: 0,
    rxDrafts: [], // MedicationRequests being written for the current patient (draft, then signed)
    rxCounter: 0,
    cardService: new Map(), // card uuid -> id of the service that returned it (for feedback)
  };

  // The drugs the prescribe panel offers: RxNorm clinical drugs (SCD) or text only, as EHRs send.
  const RX_CHOICES = Object.freeze([
    { key: 'losartan', code: '979492', text: 'losartan potassium 50 MG Oral Tablet' },
    { key: 'spironolactone', code: '313096', text: 'spironolactone 25 MG Oral Tablet' },
    { key: 'lisinopril', code: '314076', text: 'lisinopril 10 MG Oral Tablet' },
    { key: 'potassium-chloride', code: '628958', text: 'potassium chloride 20 MEQ Extended Release Oral Tablet' },
    { key: 'furosemide', code: '313988', text: 'furosemide 40 MG Oral Tablet' },
    { key: 'hydrochlorothiazide', code: '310798', text: 'hydrochlorothiazide 25 MG Oral Tablet' },
    { key: 'digoxin', code: '197604', text: 'digoxin 0.125 MG Oral Tablet' },
    { key: 'lithium', code: '197889', text: 'lithium carbonate 300 MG Oral Capsule' },
    { key: 'amiodarone', code: '833528', text: 'amiodarone hydrochloride 200 MG Oral Tablet' },
    { key: 'omeprazole-90', code: '402014', text: 'omeprazole 20 MG Delayed Release Oral Capsule', days: 90 },
    { key: 'denosumab', code: null, text: 'Prolia (denosumab) 60 mg/mL subcutaneous injection' },
    { key: 'amoxicillin', code: '308191', text: 'amoxicillin 500 MG Oral Capsule' },
  ]);

  const $ = (id) => document.getElementById(id);

  /** Creates an element. Text goes in through textContent only; never HTML. */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = value;
      else if (key === 'on') for (const [type, fn] of Object.entries(value)) node.addEventListener(type, fn);
      else if (value === true) node.setAttribute(key, '');
      else node.setAttribute(key, String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  /** Replaces a node's children; arrays are flattened, null and false are skipped. */
  function setChildren(node, ...children) {
    node.replaceChildren(...children.flat(Infinity).filter((c) => c !== undefined && c !== null && c !== false));
    return node;
  }

  // ---------------------------------------------------------------- safe markdown

  const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ENTITIES[c]);
  const unescapeHtml = (s) =>
    s.replace(/&(amp|lt|gt|quot|#39);/g, (m, e) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]);

  /** The URL when it is absolute http(s), else null. */
  function safeUrl(raw) {
    if (typeof raw !== 'string') return null;
    try {
      const url = new URL(raw.trim());
      return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  // `code` | [text](url) | **bold**  (the leftmost match wins; the input is already escaped)
  const INLINE = /`([^`\n]+)`|\[([^[\]\n]+)\]\(((?:[^()\s]|\([^()\s]*\))+)\)|\*\*(?=\S)([\s\S]*?\S)\*\*/;

  function renderInline(text, allowLinks) {
    let out = '';
    let rest = text;
    while (rest) {
      const m = INLINE.exec(rest);
      if (!m) {
        out += rest;
        break;
      }
      out += rest.slice(0, m.index);
      if (m[1] !== undefined) {
        out += `<code>${m[1]}</code>`;
      } else if (m[2] !== undefined) {
        const label = renderInline(m[2], false);
        const url = allowLinks ? safeUrl(unescapeHtml(m[3])) : null;
        out += url ? `<a href="${escapeHtml(url)}" target="_blank" rel="noopener">${label}</a>` : label;
      } else {
        out += `<strong>${renderInline(m[4], allowLinks)}</strong>`;
      }
      rest = rest.slice(m.index + m[0].length);
    }
    return out;
  }

  /**
   * The card-detail subset of markdown, as HTML that is safe to assign to innerHTML: the whole
   * text is HTML-escaped first; then **bold**, `code`, [text](http(s) url) and paragraphs on blank
   * lines. Nothing else is interpreted.
   */
  function renderMarkdown(source) {
    if (typeof source !== 'string' || !source.trim()) return '';
    return escapeHtml(source.replace(/\r\n?/g, '\n'))
      .split(/\n[ \t]*\n/)
      .map((p) => p.trim())
      .filter(Boolean)
      .map((p) => `<p>${renderInline(p, true)}</p>`)
      .join('');
  }

  // ---------------------------------------------------------------- FHIR helpers

  /**
   * JSON.parse that keeps FHIR decimals exactly as written ("1.0" stays "1.0", not 1) where the
   * browser can (JSON.rawJSON and reviver source text): labs show the lab's precision and the
   * prefetch the EHR sends is byte-for-byte the FHIR server's numbers.
   */
  const KEEPS_DECIMALS = typeof JSON.rawJSON === 'function';
  function parseJson(text) {
    if (!KEEPS_DECIMALS) return JSON.parse(text);
    return JSON.parse(text, (key, value, context) =>
      typeof value === 'number' && context && typeof context.source === 'string' && context.source !== String(value)
        ? JSON.rawJSON(context.source)
        : value);
  }

  /** A JSON number as text, whether parsed as a number or kept as its source text. */
  const numberText = (v) => (v !== null && typeof v === 'object' && 'rawJSON' in v ? v.rawJSON : String(v));

  async function getJson(url) {
    const response = await fetch(url, { headers: { Accept: 'application/fhir+json, application/json' } });
    let body = null;
    try {
      body = parseJson(await response.text());
    } catch (e) {
      body = null;
    }
    return { ok: response.ok, status: response.status, statusText: response.statusText, body };
  }

  const fhirUrl = (path) => `${FHIR}/${path.replace(/^\/+/, '')}`;

  function outcomeText(body) {
    if (!body || body.resourceType !== 'OperationOutcome') return '';
    return (body.issue || [])
      .map((i) => i.diagnostics || (i.details && i.details.text) || i.code)
      .filter(Boolean)
      .join('; ');
  }

  function httpError(result) {
    const why = outcomeText(result.body);
    return `HTTP ${result.status}${result.statusText ? ' ' + result.statusText : ''}${why ? ': ' + why : ''}`;
  }

  /** A `next` link we may follow: same origin, under /fhir. */
  function nextPage(bundle) {
    const next = (bundle.link || []).find((l) => l.relation === 'next');
    if (!next || !next.url) return null;
    try {
      const url = new URL(next.url, location.href);
      return url.origin === location.origin && url.pathname.startsWith(FHIR) ? url.pathname + url.search : null;
    } catch (e) {
      return null;
    }
  }

  /** Every resource of a search, following `next` pages (up to a cap). */
  async function searchAll(path, resourceType, maxPages = 5) {
    const resources = [];
    let url = fhirUrl(path);
    for (let page = 0; url && page < maxPages; page++) {
      const result = await getJson(url);
      if (!result.ok || !result.body) throw new Error(httpError(result));
      for (const entry of result.body.entry || []) {
        if (entry.resource && entry.resource.resourceType === resourceType) resources.push(entry.resource);
      }
      url = nextPage(result.body);
    }
    return resources;
  }

  function conceptText(concept) {
    if (!concept) return '';
    if (concept.text) return concept.text;
    const coding = (concept.coding || []).find((c) => c.display) || (concept.coding || [])[0];
    return coding ? coding.display || coding.code || '' : '';
  }

  function codingLabel(concept) {
    const systems = {
      'http://loinc.org': 'LOINC',
      'http://snomed.info/sct': 'SNOMED',
      'http://hl7.org/fhir/sid/icd-10-cm': 'ICD-10-CM',
      'http://hl7.org/fhir/sid/icd-10': 'ICD-10',
      'http://www.nlm.nih.gov/research/umls/rxnorm': 'RxNorm',
      'http://www.whocc.no/atc': 'ATC',
    };
    const coding = ((concept && concept.coding) || []).find((c) => own(systems, c.system) && c.code);
    return coding ? `${own(systems, coding.system)} ${coding.code}` : '';
  }

  function patientName(p) {
    const names = p.name || [];
    const name = names.find((n) => n.use === 'official') || names[0];
    if (!name) return p.id;
    if (name.family || name.given) return [name.family, (name.given || []).join(' ')].filter(Boolean).join(', ');
    return name.text || p.id;
  }

  function todayUtc() {
    const now = new Date();
    return { y: now.getUTCFullYear(), m: now.getUTCMonth() + 1, d: now.getUTCDate() };
  }

  function ageText(birthDate) {
    const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?/.exec(birthDate || '');
    if (!m) return 'age unknown';
    const [by, bm, bd] = [Number(m[1]), Number(m[2] || 1), Number(m[3] || 1)];
    const t = todayUtc();
    const months = (t.y - by) * 12 + (t.m - bm) - (t.d < bd ? 1 : 0);
    if (months < 0) return 'age unknown';
    return months < 24 ? `${months} mo` : `${Math.floor(months / 12)} y`;
  }

  /** ISO date (UTC) `days` from today. */
  const isoDateUtc = (days) => new Date(Date.now() + days * DAY_MS).toISOString().slice(0, 10);

  function formatWhen(value) {
    if (!value) return '';
    if (/^\d{4}(-\d{2}(-\d{2})?)?$/.test(value)) return value;
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? value : date.toISOString().slice(0, 16).replace('T', ' ');
  }

  const formatDay = (value) => (value ? formatWhen(value).slice(0, 10) : '');

  // ---------------------------------------------------------------- chart

  function labWhen(o) {
    if (o.effectiveDateTime) return o.effectiveDateTime;
    if (o.effectivePeriod) return o.effectivePeriod.end || o.effectivePeriod.start;
    return o.effectiveInstant || o.issued || '';
  }

  function quantityText(q) {
    if (!q) return '';
    const value = q.value === undefined || q.value === null ? '' : numberText(q.value);
    return `${q.comparator || ''}${value} ${q.unit || q.code || ''}`.trim();
  }

  function labValue(o) {
    if (o.valueQuantity) return quantityText(o.valueQuantity);
    if (typeof o.valueString === 'string') return o.valueString;
    if (o.valueCodeableConcept) return conceptText(o.valueCodeableConcept);
    if (o.valueInteger !== undefined && o.valueInteger !== null) return numberText(o.valueInteger);
    if (typeof o.valueBoolean === 'boolean') return o.valueBoolean ? 'yes' : 'no';
    if (o.valueRange) return `${quantityText(o.valueRange.low)}–${quantityText(o.valueRange.high)}`;
    if (o.dataAbsentReason) return `no value (${conceptText(o.dataAbsentReason)})`;
    return '—';
  }

  function rangeText(o) {
    return (o.referenceRange || [])
      .map((r) => {
        const low = r.low && r.low.value !== undefined ? r.low : null;
        const high = r.high && r.high.value !== undefined ? r.high : null;
        const unit = (high && (high.unit || high.code)) || (low && (low.unit || low.code)) || '';
        let text = '';
        if (low && high) text = `${numberText(low.value)}–${numberText(high.value)} ${unit}`;
        else if (low) text = `≥ ${numberText(low.value)} ${unit}`;
        else if (high) text = `≤ ${numberText(high.value)} ${unit}`;
        return (text.trim() || r.text || '').trim();
      })
      .filter(Boolean)
      .join('; ');
  }

  function labFlag(o) {
    const codings = (o.interpretation || []).flatMap((c) => c.coding || []);
    const v3 = codings.find((c) => c.system === V3_INTERPRETATION && c.code);
    if (v3) return { code: v3.code, title: v3.display || own(FLAG_LABEL, v3.code) || v3.code };
    const any = codings.find((c) => c.code);
    if (any) return { code: any.code, title: any.display || any.code };
    const text = (o.interpretation || []).map((c) => c.text).find(Boolean);
    return text ? { code: text, title: text } : null;
  }

  function renderLabs(observations) {
    const box = $('labs');
    $('labs-count').textContent = observations.length ? `${observations.length} result${observations.length === 1 ? '' : 's'}, newest first` : '';
    if (!observations.length) {
      box.replaceChildren(el('p', { class: 'empty', text: 'No results on file.' }));
      return;
    }
    const rows = observations.map((o) => {
      const flag = labFlag(o);
      const severity = !flag || flag.code === 'N' ? '' : CRITICAL_FLAGS.has(flag.code.toUpperCase()) ? 'critical' : 'abnormal';
      const range = rangeText(o);
      return el(
        'tr',
        { class: severity ? `row-${severity}` : null, 'data-observation': o.id },
        el('td', { class: 'nowrap', text: formatWhen(labWhen(o)) }),
        el('td', null, el('span', { class: 'test-name', text: conceptText(o.code) || '(unnamed test)' }),
          codingLabel(o.code) ? el('span', { class: 'code-hint', text: codingLabel(o.code) }) : null),
        el('td', { class: 'num', text: labValue(o) }),
        el('td', { class: `lab-status status-${o.status || 'unknown'}`, text: o.status || '' }),
        el('td', { class: range ? 'nowrap' : 'muted', text: range || 'none sent' }),
        el('td', null, flag
          ? el('span', { class: `flag flag-${severity || 'normal'}`, title: flag.title, text: flag.code })
          : el('span', { class: 'muted', text: '—' })),
      );
    });
    box.replaceChildren(
      el('div', { class: 'table-wrap' },
        el('table', { class: 'labs' },
          el('caption', { class: 'visually-hidden', text: 'Laboratory results, newest first' }),
          el('thead', null, el('tr', null,
            ['Date (UTC)', 'Test', 'Result', 'Status', 'Reference range', 'Flag'].map((h) => el('th', { scope: 'col', text: h })))),
          el('tbody', null, rows))));
  }

  async function medicationName(resource) {
    if (resource.medicationCodeableConcept) {
      return { name: conceptText(resource.medicationCodeableConcept), code: codingLabel(resource.medicationCodeableConcept) };
    }
    const ref = resource.medicationReference;
    if (!ref) return { name: 'Unnamed medication', code: '' };
    const reference = ref.reference || '';
    if (reference.startsWith('#')) {
      const contained = (resource.contained || []).find((c) => `#${c.id}` === reference);
      if (contained) return { name: conceptText(contained.code), code: codingLabel(contained.code) };
    }
    const m = /(?:^|\/)Medication\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(reference);
    if (m) {
      if (!state.medications.has(m[1])) {
        state.medications.set(m[1], getJson(fhirUrl(`Medication/${encodeURIComponent(m[1])}`)).catch(() => null));
      }
      const result = await state.medications.get(m[1]);
      if (result && result.ok && result.body && result.body.code) {
        return { name: conceptText(result.body.code), code: codingLabel(result.body.code), resolved: `Medication/${m[1]}` };
      }
    }
    return { name: ref.display || reference || 'Unnamed medication', code: '' };
  }

  async function renderMedications(requests, statements) {
    const box = $('meds');
    const all = [
      ...requests.map((r) => ({ r, kind: 'Order', since: r.authoredOn, dose: ((r.dosageInstruction || [])[0] || {}).text })),
      ...statements.map((r) => ({
        r, kind: 'Patient-reported',
        since: r.effectiveDateTime || (r.effectivePeriod && r.effectivePeriod.start) || r.dateAsserted,
        dose: ((r.dosage || [])[0] || {}).text,
      })),
    ];
    if (!all.length) {
      box.replaceChildren(el('p', { class: 'empty', text: 'No active medications.' }));
      return;
    }
    const names = await Promise.all(all.map((m) => medicationName(m.r)));
    box.replaceChildren(el('ul', { class: 'item-list' }, all.map((m, i) => el('li', { class: 'item' },
      el('div', { class: 'item-main' },
        el('span', { class: 'item-title', text: names[i].name || 'Unnamed medication' }),
        el('span', { class: `chip ${m.kind === 'Order' ? 'chip-order' : 'chip-statement'}`, text: m.kind })),
      el('div', { class: 'item-meta' }, [
        m.dose ? el('span', { text: m.dose }) : null,
        names[i].code ? el('span', { text: names[i].code }) : null,
        m.since ? el('span', { text: `since ${formatDay(m.since)}` }) : null,
        names[i].resolved ? el('span', { title: 'medicationReference, read from the FHIR server', text: `via ${names[i].resolved}` }) : null,
      ])))));
  }

  function renderConditions(conditions) {
    const box = $('conditions');
    if (!conditions.length) {
      box.replaceChildren(el('p', { class: 'empty', text: 'No active problems.' }));
      return;
    }
    box.replaceChildren(el('ul', { class: 'item-list' }, conditions.map((c) => el('li', { class: 'item' },
      el('div', { class: 'item-main' }, el('span', { class: 'item-title', text: conceptText(c.code) || 'Unnamed condition' })),
      el('div', { class: 'item-meta' }, [
        codingLabel(c.code) ? el('span', { text: codingLabel(c.code) }) : null,
        c.onsetDateTime || c.recordedDate ? el('span', { text: `since ${formatDay(c.onsetDateTime || c.recordedDate)}` }) : null,
      ])))));
  }

  function renderOrders() {
    const box = $('orders');
    const active = state.activeOrders || [];
    const drafts = state.drafts.filter((d) => d.patientId === state.patientId);
    if (!active.length && !drafts.length) {
      box.replaceChildren(el('p', { class: 'empty', text: 'No active or draft orders.' }));
      return;
    }
    const item = (sr, chipClass, extra) => el('li', { class: 'item' },
      el('div', { class: 'item-main' },
        el('span', { class: 'item-title', text: conceptText(sr.code) || 'Unnamed order' }),
        el('span', { class: `chip ${chipClass}`, text: sr.status || '' })),
      el('div', { class: 'item-meta' }, [
        codingLabel(sr.code) ? el('span', { text: codingLabel(sr.code) }) : null,
        sr.intent ? el('span', { text: `intent ${sr.intent}` }) : null,
        sr.authoredOn ? el('span', { text: `ordered ${formatDay(sr.authoredOn)}` }) : null,
        extra ? el('span', { class: 'muted', text: extra }) : null,
      ]));
    box.replaceChildren(el('ul', { class: 'item-list' },
      active.map((sr) => item(sr, 'chip-order', null)),
      drafts.map((d) => item(d.resource, 'chip-draft', `from CDS: ${d.label}`))));
  }

  function renderBanner(patient) {
    const banner = $('banner');
    if (!patient) {
      banner.replaceChildren(el('p', { class: 'banner-empty', text: 'No patient selected. Choose one of the scenario patients above.' }));
      return;
    }
    const fact = (label, value) => el('span', { class: 'fact' }, el('span', { class: 'fact-label', text: label }), el('span', { text: value }));
    banner.replaceChildren(
      el('h1', { class: 'banner-name', text: patientName(patient) }),
      el('div', { class: 'banner-facts' },
        fact('Age', ageText(patient.birthDate)),
        fact('Sex', patient.gender || 'unknown'),
        fact('DOB', patient.birthDate || 'unknown'),
        fact('Patient ID', patient.id)));
  }

  function loading(id) {
    $(id).replaceChildren(el('p', { class: 'empty', text: 'Loading…' }));
  }

  function sectionError(id, error) {
    $(id).replaceChildren(el('p', { class: 'error-text', text: `Could not load: ${error.message || error}` }));
  }

  async function loadChart(patientId) {
    const seq = ++state.chartSeq;
    renderBanner(state.patients.get(patientId));
    ['labs', 'meds', 'conditions', 'orders'].forEach(loading);
    $('labs-count').textContent = '';
    const id = encodeURIComponent(patientId);
    const [labs, requests, statements, conditions, orders] = await Promise.allSettled([
      searchAll(`Observation?patient=${id}&_sort=-date&_count=100`, 'Observation'),
      searchAll(`MedicationRequest?patient=${id}&status=active`, 'MedicationRequest'),
      searchAll(`MedicationStatement?patient=${id}&status=active`, 'MedicationStatement'),
      searchAll(`Condition?patient=${id}&clinical-status=active`, 'Condition'),
      searchAll(`ServiceRequest?patient=${id}&status=active`, 'ServiceRequest'),
    ]);
    if (seq !== state.chartSeq) return;
    if (labs.status === 'fulfilled') renderLabs(labs.value); else sectionError('labs', labs.reason);
    if (conditions.status === 'fulfilled') renderConditions(conditions.value); else sectionError('conditions', conditions.reason);
    state.activeOrders = orders.status === 'fulfilled' ? orders.value : [];
    if (orders.status === 'fulfilled') renderOrders(); else sectionError('orders', orders.reason);
    if (requests.status === 'fulfilled' && statements.status === 'fulfilled') {
      await renderMedications(requests.value, statements.value);
    } else {
      sectionError('meds', requests.status === 'rejected' ? requests.reason : statements.reason);
    }
  }

  // ---------------------------------------------------------------- CDS Hooks client

  /** Every service of the discovery, by hook (the prescribe panel calls the order hooks). */
  async function discoverHook(hook) {
    const result = await getJson('/cds-services');
    if (!result.ok || !result.body) throw new Error(`discovery failed: ${httpError(result)}`);
    const service = (result.body.services || []).find((s) => s.hook === hook);
    if (!service) throw new Error(`discovery lists no ${hook} service`);
    return service;
  }

  function discoverService() {
    if (!state.service) {
      state.service = getJson('/cds-services').then((result) => {
        if (!result.ok || !result.body) throw new Error(`discovery failed: ${httpError(result)}`);
        const services = result.body.services || [];
        const service = services.find((s) => s.id === 'mineral-balance') || services.find((s) => s.hook === 'patient-view');
        if (!service) throw new Error('discovery lists no patient-view service');
        return service;
      });
      state.service.catch(() => {
        state.service = null; // try again on the next call
      });
    }
    return state.service;
  }

  const TOKEN = /\{\{\s*([^{}]*?)\s*\}\}/g;

  /** Resolves a prefetch template's tokens, or returns null when one cannot be resolved. */
  function resolveTemplate(template, context) {
    let unresolved = false;
    const query = template.replace(TOKEN, (token, expression) => {
      if (expression === 'context.patientId') return context.patientId;
      if (expression === 'context.userId') return context.userId;
      if (expression === 'userPractitionerId') return context.userId.replace(/^Practitioner\//, '');
      const m = /^today\(\)\s*(?:([+-])\s*(\d+)\s*days?)?$/.exec(expression);
      if (m) return isoDateUtc(m[1] === '-' ? -Number(m[2]) : m[1] === '+' ? Number(m[2]) : 0);
      unresolved = true;
      return token;
    });
    return unresolved ? null : query;
  }

  /** What an EHR does before the call: GET every template it can resolve, in parallel. */
  async function buildPrefetch(templates, context) {
    const prefetch = {};
    const notes = [];
    await Promise.all(Object.entries(templates || {}).map(async ([key, template]) => {
      const query = resolveTemplate(template, context);
      if (query === null) {
        notes.push(`${key}: template not resolvable, left for the service`);
        return;
      }
      try {
        const result = await getJson(fhirUrl(query));
        if (result.body && typeof result.body === 'object' && result.body.resourceType) {
          prefetch[key] = result.body; // an OperationOutcome on error, as the spec asks
          if (!result.ok) notes.push(`${key}: HTTP ${result.status}`);
        } else {
          notes.push(`${key}: HTTP ${result.status}, not sent`);
        }
      } catch (e) {
        notes.push(`${key}: ${e.message}, not sent`);
      }
    }));
    const ordered = {};
    for (const key of Object.keys(templates || {})) if (key in prefetch) ordered[key] = prefetch[key];
    return { prefetch: ordered, notes };
  }

  function newHookInstance() {
    if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    // Pages served over plain http from a non-loopback host have no randomUUID.
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  const currentMode = () => (document.querySelector('input[name="mode"]:checked') || {}).value || 'prefetch';

  function setStatus(text, detail, kind) {
    const status = $('status');
    status.textContent = text;
    status.className = `status${kind ? ' status-' + kind : ''}`;
    $('status-detail').textContent = detail || '';
  }

  function showExchange(request, responseText, responseBody) {
    const requestText = JSON.stringify(request, null, 2);
    $('request-json').textContent = requestText;
    $('request-size').textContent = `(${(requestText.length / 1024).toFixed(1)} kB)`;
    const shown = responseBody ? JSON.stringify(responseBody, null, 2) : responseText || '(empty body)';
    $('response-json').textContent = shown;
    $('response-size').textContent = `(${(shown.length / 1024).toFixed(1)} kB)`;
  }

  async function fireHook(order) {
    const orderCall = order && order.hook ? order : null;
    const patientId = state.patientId;
    if (!patientId) return;
    const seq = ++state.hookSeq;
    const mode = currentMode();
    const cards = $('cards');
    cards.dataset.patient = patientId;
    cards.dataset.state = 'loading';
    cards.setAttribute('aria-busy', 'true');
    cards.replaceChildren(el('p', { class: 'empty', text: `Calling ${orderCall ? orderCall.hook : 'mineral-balance'}…` }));
    setStatus(mode === 'prefetch' ? 'Resolving prefetch…' : 'Calling the service…', '', 'busy');
    const started = performance.now();
    let request = null;
    try {
      const service = orderCall ? await discoverHook(orderCall.hook) : await discoverService();
      $('service-title').textContent = `${service.title || service.id} · ${service.hook}`;
      const context = { userId: USER_ID, patientId };
      if (orderCall) {
        // CDS Hooks 2.0 order context: the orders being written as a Bundle, and for
        // order-select the ones just chosen.
        context.encounterId = 'demo-encounter';
        if (orderCall.selections) context.selections = orderCall.selections;
        context.draftOrders = draftOrdersBundle(patientId);
      }
      request = {
        hook: service.hook || 'patient-view',
        hookInstance: newHookInstance(),
        fhirServer: location.origin + FHIR,
        fhirAuthorization: { ...AUTHORIZATION },
        context,
      };
      let detail = 'Service fetches every key from fhirServer with the bearer token.';
      if (mode === 'prefetch') {
        const { prefetch, notes } = await buildPrefetch(service.prefetch, context);
        request.prefetch = prefetch;
        const keys = Object.keys(prefetch).length;
        detail = `EHR sent prefetch: ${keys} of ${Object.keys(service.prefetch || {}).length} keys, gathered in ${Math.round(performance.now() - started)} ms` +
          (notes.length ? ` (${notes.join('; ')})` : '') + '.';
      }
      if (seq !== state.hookSeq) return;
      const posted = performance.now();
      const response = await fetch(`/cds-services/${encodeURIComponent(service.id)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(request),
      });
      const text = await response.text();
      const elapsed = Math.round(performance.now() - posted);
      if (seq !== state.hookSeq) return;
      let body = null;
      try {
        body = text ? parseJson(text) : null;
      } catch (e) {
        body = null;
      }
      showExchange(request, text, body);
      cards.removeAttribute('aria-busy');
      if (!response.ok) {
        const why = outcomeText(body) || text || response.statusText;
        cards.dataset.state = 'error';
        cards.replaceChildren(el('div', { class: 'error-box', role: 'alert', 'data-testid': 'hook-error' },
          el('strong', { text: `HTTP ${response.status} ${response.statusText || ''}`.trim() }),
          el('p', { text: why || 'The service returned an error without a message.' })));
        setStatus(`HTTP ${response.status} in ${elapsed} ms`, detail, 'error');
        return;
      }
      const list = body && Array.isArray(body.cards) ? body.cards : [];
      list.forEach((c) => state.cardService.set(c.uuid, service.id));
      cards.dataset.hook = request.hook;
      renderCards(list, patientId);
      if (orderCall && orderCall.hook === 'order-sign') signDrafts(patientId);
      cards.dataset.state = 'done';
      setStatus(`${list.length} card${list.length === 1 ? '' : 's'} in ${elapsed} ms`, detail, list.length ? 'cards' : 'ok');
    } catch (e) {
      if (seq !== state.hookSeq) return;
      if (request) showExchange(request, String(e), null);
      cards.removeAttribute('aria-busy');
      cards.dataset.state = 'error';
      cards.replaceChildren(el('div', { class: 'error-box', role: 'alert', 'data-testid': 'hook-error' },
        el('strong', { text: 'The call failed' }), el('p', { text: e.message || String(e) })));
      setStatus(`Failed after ${Math.round(performance.now() - started)} ms`, '', 'error');
    }
  }

  // ---------------------------------------------------------------- cards

  function renderCards(list, patientId) {
    const container = $('cards');
    if (!list.length) {
      container.replaceChildren(el('p', { class: 'no-cards', 'data-testid': 'no-cards', text: 'No cards: nothing to flag for this patient.' }));
      return;
    }
    const rank = (c) => own(INDICATOR_RANK, c.indicator) ?? 3;
    const sorted = list.map((card, index) => ({ card, index }))
      .sort((a, b) => rank(a.card) - rank(b.card) || a.index - b.index)
      .map((x) => x.card);
    container.replaceChildren(...sorted.map((card) => renderCard(card, patientId)));
  }

  function renderCard(card, patientId) {
    const n = ++state.cardCounter;
    const indicator = own(INDICATOR_RANK, card.indicator) === undefined ? 'info' : card.indicator;
    const source = card.source || {};
    const topic = source.topic || {};
    const summaryId = `card-${n}-summary`;
    const article = el('article', {
      class: `card card-${indicator}`,
      'data-testid': 'card',
      'data-indicator': card.indicator || '',
      'data-topic': topic.code || '',
      'data-uuid': card.uuid || '',
      'data-state': 'open',
      'aria-labelledby': summaryId,
    });
    const header = el('header', { class: 'card-head' },
      el('span', { class: `badge badge-${indicator}`, text: own(INDICATOR_LABEL, indicator) }),
      el('h3', { id: summaryId, class: 'card-summary', 'data-testid': 'card-summary', text: card.summary || '(no summary)' }));

    const body = el('div', { class: 'card-body' });
    if (card.detail) {
      const detail = el('div', { class: 'card-detail' });
      detail.innerHTML = renderMarkdown(card.detail); // escaped first; see renderMarkdown
      body.append(detail);
    }
    const sourceUrl = safeUrl(source.url);
    body.append(el('p', { class: 'card-source' },
      'Source: ',
      sourceUrl
        ? el('a', { href: sourceUrl, target: '_blank', rel: 'noopener', text: source.label || sourceUrl })
        : el('span', { text: source.label || 'unknown' }),
      topic.code ? [' · topic ', el('code', { title: topic.system || '', text: topic.code })] : null));

    const links = (card.links || []).filter((l) => l && l.label);
    if (links.length) {
      body.append(el('ul', { class: 'card-links' }, links.map((l) => {
        const url = l.type === 'absolute' ? safeUrl(l.url) : null;
        return el('li', null, url
          ? el('a', { href: url, target: '_blank', rel: 'noopener', text: l.label })
          : el('span', { class: 'muted', title: 'SMART app launch is not part of this demo', text: `${l.label} (SMART app)` }));
      })));
    }

    const result = el('div', { class: 'card-result', 'aria-live': 'polite' });
    const suggestions = card.suggestions || [];
    if (suggestions.length) {
      body.append(el('div', { class: 'suggestions', role: 'group', 'aria-label': 'Suggestions' },
        suggestions.map((s) => el('button', {
          type: 'button',
          class: `btn ${s.isRecommended ? 'btn-primary' : 'btn-secondary'} suggestion`,
          'data-testid': 'suggestion',
          'data-uuid': s.uuid || '',
          title: s.isRecommended ? 'Recommended' : null,
          text: s.label || 'Accept',
          on: { click: (event) => acceptSuggestion(card, s, article, result, patientId, event.currentTarget) },
        }))));
    }
    body.append(renderDismiss(card, article, result, patientId));
    article.append(header, body, result);
    return article;
  }

  function renderDismiss(card, article, result, patientId) {
    const n = state.cardCounter;
    const reasons = card.overrideReasons || [];
    const select = el('select', { id: `dismiss-reason-${n}`, 'data-testid': 'dismiss-reason' },
      el('option', { value: '', text: reasons.length ? 'No reason given' : 'No reasons offered' }),
      reasons.map((r, i) => el('option', { value: String(i), text: r.display || r.code || `reason ${i + 1}` })));
    const comment = el('input', { type: 'text', id: `dismiss-comment-${n}`, 'data-testid': 'dismiss-comment', maxlength: 500, placeholder: 'Optional', autocomplete: 'off' });
    const form = el('form', { class: 'dismiss', 'aria-label': 'Dismiss this card' },
      el('div', { class: 'field' }, el('label', { for: select.id, text: 'Dismiss reason' }), select),
      el('div', { class: 'field' }, el('label', { for: comment.id, text: 'Comment' }), comment),
      el('button', { type: 'submit', class: 'btn btn-quiet', 'data-testid': 'dismiss', text: 'Dismiss' }));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const reason = select.value === '' ? null : reasons[Number(select.value)];
      dismissCard(card, reason, comment.value.trim(), article, result, patientId);
    });
    return form;
  }

  function lockCard(article) {
    article.querySelectorAll('button, select, input').forEach((control) => {
      control.disabled = true;
    });
  }

  async function acceptSuggestion(card, suggestion, article, result, patientId, button) {
    // "at-most-one": accepting one closes the card's choices; "any" (order tests and, separately,
    // review a drug): only this suggestion is done. Either way no double submit.
    if (card.selectionBehavior === 'any' && button) {
      button.disabled = true;
    } else {
      lockCard(article);
    }
    const item = {
      card: card.uuid,
      outcome: 'accepted',
      acceptedSuggestions: [{ id: suggestion.uuid }],
      outcomeTimestamp: new Date().toISOString(),
    };
    const sent = await sendFeedback(item, `${suggestion.label} · ${card.summary || ''}`, patientId);
    const actions = suggestion.actions || [];
    const orders = actions.filter((a) => a.type === 'create' && a.resource && a.resource.resourceType === 'ServiceRequest');
    for (const a of orders) state.drafts.push({ patientId, label: suggestion.label, resource: a.resource });
    // A delete action withdraws a medication order being written, as the EHR would.
    const withdrawn = actions.filter((a) => a.type === 'delete' && typeof a.resourceId === 'string');
    for (const a of withdrawn) {
      state.rxDrafts = state.rxDrafts.filter((d) => `MedicationRequest/${d.resource.id}` !== a.resourceId);
    }
    if (patientId === state.patientId) {
      renderOrders();
      renderRxDrafts();
    }
    article.classList.add('card-accepted');
    article.dataset.state = 'accepted';
    const others = actions.filter((a) => !orders.includes(a));
    setChildren(result,
      el('p', { class: 'result-title' }, el('span', { class: 'chip chip-accepted', text: 'Accepted' }), ` ${suggestion.label}`),
      actions.length ? null : el('p', { class: 'result-note', text: 'Recorded for follow-up: nothing is changed automatically.' }),
      orders.length ? el('p', { class: 'result-note', text: `Draft order${orders.length === 1 ? '' : 's'} for review:` }) : null,
      orders.length ? el('ul', { class: 'draft-orders', 'data-testid': 'draft-orders' }, orders.map((a) => {
        const sr = a.resource;
        return el('li', { 'data-testid': 'draft-order' },
          el('span', { class: 'item-title', text: conceptText(sr.code) || a.description || 'Order' }),
          ' ',
          el('span', { class: 'chip chip-draft', text: sr.status || 'draft' }),
          el('span', { class: 'draft-meta' },
            [((sr.code || {}).coding || []).map((c) => c.display).filter(Boolean)[0], codingLabel(sr.code), sr.intent ? `intent ${sr.intent}` : '']
              .filter(Boolean)
              .map((text) => el('span', { text }))));
      })) : null,
      others.length ? el('ul', { class: 'draft-orders', 'data-testid': 'other-actions' }, others.map((a) => el('li', { text: a.type === 'delete' ? `Withdrawn: ${a.description || a.resourceId}` : `${a.type}: ${a.description || (a.resource && a.resource.resourceType) || ''}` }))) : null,
      sent.ok ? null : el('p', { class: 'error-text', text: `Feedback not recorded: ${sent.message}` }));
  }

  async function dismissCard(card, reason, comment, article, result, patientId) {
    lockCard(article);
    const item = { card: card.uuid, outcome: 'overridden', outcomeTimestamp: new Date().toISOString() };
    if (reason || comment) {
      item.overrideReason = {};
      if (reason) item.overrideReason.reason = { code: reason.code, system: reason.system, display: reason.display };
      if (comment) item.overrideReason.userComment = comment;
    }
    const sent = await sendFeedback(item, `dismissed · ${card.summary || ''}`, patientId);
    article.classList.add('card-dismissed');
    article.dataset.state = 'dismissed';
    const body = article.querySelector('.card-body');
    body.hidden = true;
    const toggle = el('button', { type: 'button', class: 'btn btn-link', 'aria-expanded': 'false', text: 'Show details' });
    toggle.addEventListener('click', () => {
      body.hidden = !body.hidden;
      toggle.setAttribute('aria-expanded', String(!body.hidden));
      toggle.textContent = body.hidden ? 'Show details' : 'Hide details';
    });
    const note = el('p', { class: 'result-title', tabindex: '-1' },
      el('span', { class: 'chip chip-dismissed', text: 'Dismissed' }),
      ` ${reason ? reason.display || reason.code : 'no reason given'}${comment ? ` · “${comment}”` : ''} `,
      toggle);
    setChildren(result, note, sent.ok ? null : el('p', { class: 'error-text', text: `Feedback not recorded: ${sent.message}` }));
    note.focus();
  }

  async function sendFeedback(item, what, patientId) {
    let status = 0;
    let message = '';
    try {
      const serviceId = state.cardService.get(item.card) || (await discoverService()).id;
      const response = await fetch(`/cds-services/${encodeURIComponent(serviceId)}/feedback`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ feedback: [item] }),
      });
      status = response.status;
      if (!response.ok) {
        let body = null;
        try {
          body = await response.json();
        } catch (e) {
          body = null;
        }
        message = `HTTP ${status}${outcomeText(body) ? ': ' + outcomeText(body) : ''}`;
      }
    } catch (e) {
      message = `network error: ${e.message}`;
    }
    const ok = status >= 200 && status < 300;
    $('feedback-empty').hidden = true;
    $('feedback-log').prepend(el('li', {
      class: `feedback-entry ${ok ? 'ok' : 'failed'}`,
      'data-testid': 'feedback-entry',
      'data-outcome': item.outcome,
      'data-status': String(status),
      'data-card': item.card || '',
    },
    el('span', { class: 'fb-time', text: new Date().toISOString().slice(11, 19) }),
    el('span', { class: `chip ${item.outcome === 'accepted' ? 'chip-accepted' : 'chip-dismissed'}`, text: item.outcome }),
    el('span', { class: `fb-status ${ok ? 'ok' : 'failed'}`, text: status ? `HTTP ${status}` : 'no response' }),
    el('span', { class: 'fb-what', text: `${patientId} · ${what}`, title: `card ${item.card}` }),
    message ? el('span', { class: 'error-text', text: message }) : null));
    return { ok, status, message };
  }

  // ---------------------------------------------------------------- prescribe

  /** The orders being written (and the lab orders accepted from cards) as a collection Bundle. */
  function draftOrdersBundle(patientId) {
    const entries = state.rxDrafts.filter((d) => d.status === 'draft').map((d) => ({ resource: d.resource }));
    state.drafts.filter((d) => d.patientId === patientId).forEach((d, i) => {
      entries.push({ resource: { id: `accepted-${i + 1}`, ...d.resource } });
    });
    return { resourceType: 'Bundle', type: 'collection', entry: entries };
  }

  function newDraft(choice, patientId) {
    const id = `demo-draft-${++state.rxCounter}`;
    const resource = {
      resourceType: 'MedicationRequest',
      id,
      status: 'draft',
      intent: 'order',
      medicationCodeableConcept: choice.code
        ? { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: choice.code, display: choice.text }], text: choice.text }
        : { text: choice.text },
      subject: { reference: `Patient/${patientId}` },
      authoredOn: new Date().toISOString().slice(0, 10),
      dosageInstruction: [{ text: 'as directed' }],
    };
    if (choice.days) {
      resource.dispenseRequest = { numberOfRepeatsAllowed: 2, expectedSupplyDuration: { value: 30, unit: 'days', system: 'http://unitsofmeasure.org', code: 'd' } };
    }
    return { resource, status: 'draft', label: choice.text };
  }

  function renderRxDrafts() {
    const box = $('rx-drafts');
    $('rx-sign').disabled = !state.rxDrafts.some((d) => d.status === 'draft');
    if (!state.rxDrafts.length) {
      box.replaceChildren(el('p', { class: 'empty', text: 'No medication orders being written.' }));
      return;
    }
    box.replaceChildren(el('ul', { class: 'item-list' }, state.rxDrafts.map((d) => el('li', {
      class: 'item',
      'data-testid': 'rx-draft',
      'data-id': d.resource.id,
      'data-status': d.status,
    },
    el('div', { class: 'item-main' },
      el('span', { class: 'item-title', text: d.label }),
      el('span', { class: `chip ${d.status === 'draft' ? 'chip-draft' : 'chip-order'}`, text: d.status === 'draft' ? 'draft' : 'signed' }))))));
  }

  function chooseDrug(key) {
    const choice = RX_CHOICES.find((c) => c.key === key);
    if (!choice || !state.patientId) return;
    const draft = newDraft(choice, state.patientId);
    state.rxDrafts.push(draft);
    renderRxDrafts();
    $('rx-drug').value = '';
    fireHook({ hook: 'order-select', selections: [`MedicationRequest/${draft.resource.id}`] });
  }

  /** After order-sign answered: the drafts still being written are signed (the EHR's choice). */
  function signDrafts(patientId) {
    if (patientId !== state.patientId) return;
    state.rxDrafts.forEach((d) => {
      if (d.status === 'draft') d.status = 'signed';
    });
    renderRxDrafts();
  }

  function resetPrescribing() {
    state.rxDrafts = [];
    $('rx-drug').disabled = !state.patientId;
    renderRxDrafts();
  }

  // ---------------------------------------------------------------- start-up

  async function loadPatients() {
    const select = $('patient-select');
    try {
      const patients = await searchAll('Patient?_count=100', 'Patient');
      setChildren(select, el('option', { value: '', text: `Choose a patient (${patients.length})…` }),
        patients.map((p) => {
          state.patients.set(p.id, p);
          return el('option', { value: p.id, text: `${patientName(p)} · ${ageText(p.birthDate)} · ${p.id}` });
        }));
      select.disabled = false;
      const wanted = new URLSearchParams(location.search).get('patient');
      if (wanted && state.patients.has(wanted)) {
        select.value = wanted;
        pickPatient(wanted);
      }
    } catch (e) {
      select.replaceChildren(el('option', { value: '', text: 'Patients could not be loaded' }));
      setStatus('The FHIR server did not answer.', e.message, 'error');
    }
  }

  function pickPatient(patientId) {
    state.patientId = patientId || null;
    $('fire').disabled = !state.patientId;
    resetPrescribing();
    if (!state.patientId) {
      state.hookSeq++;
      state.chartSeq++;
      renderBanner(null);
      $('cards').replaceChildren();
      $('cards').dataset.state = 'idle';
      delete $('cards').dataset.patient;
      setStatus('Choose a patient to call the service.');
      return;
    }
    loadChart(state.patientId);
    fireHook();
  }

  function start() {
    window.addEventListener('unhandledrejection', (e) =>
      setStatus('Unexpected error in the demo page.', String((e.reason && e.reason.message) || e.reason), 'error'));
    $('patient-select').addEventListener('change', (e) => pickPatient(e.target.value));
    $('fire').addEventListener('click', () => fireHook());
    setChildren($('rx-drug'), el('option', { value: '', text: 'Choose a drug to order…' }),
      RX_CHOICES.map((c) => el('option', { value: c.key, text: c.days ? `${c.text} (${c.days} days)` : c.text })));
    $('rx-drug').addEventListener('change', (e) => chooseDrug(e.target.value));
    $('rx-sign').addEventListener('click', () => fireHook({ hook: 'order-sign' }));
    document.querySelectorAll('input[name="mode"]').forEach((radio) =>
      radio.addEventListener('change', () => {
        if (state.patientId) fireHook();
      }));
    discoverService().then(
      (s) => {
        $('service-title').textContent = `${s.title || s.id} · ${s.hook}`;
      },
      (e) => setStatus('Discovery failed.', e.message, 'error'));
    loadPatients();
  }

  // For tests and the curious: the markdown renderer is a pure function.
  window.MineralDemo = Object.freeze({ renderMarkdown, resolveTemplate });

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
