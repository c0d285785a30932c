// The operator's Channels view: renders the core's channel status (both tables, already
// sorted, filtered and worded) and sends column clicks and filter text back as commands.

const $ = (id) => document.getElementById(id);

/** Which of the operator's views shows: a matter of this window only, not of the core. */
function showTab(channels) {
  $('operator-tab-overview').classList.toggle('active', !channels);
  $('operator-tab-channels').classList.toggle('active', channels);
  $('operator-overview').hidden = channels;
  $('channels-view').hidden = !channels;
}

function heads(row, columns, sort) {
  row.replaceChildren(...columns.map((column) => {
    const th = document.createElement('th');
    th.textContent = column.sort_mark ? `${column.title} ${column.sort_mark}` : column.title;
    th.dataset.key = column.key;
    th.addEventListener('click', () => sort(column.key));
    return th;
  }));
}

function rows(body, list, className) {
  body.replaceChildren(...list.map((row) => {
    const tr = document.createElement('tr');
    tr.className = className(row);
    for (const text of row.cells) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  }));
}

/** Renders `view.channels` of the operator's view. */
export function renderChannels(channels, invoke, shout) {
  const sort = (column) => invoke('channels_sort', { column }).catch(shout);
  $('channels-status').textContent = channels.status_text;
  $('channels-shown').textContent = channels.available ? channels.shown_text : '';
  const filter = $('channels-filter');
  filter.placeholder = channels.filter_placeholder;
  filter.hidden = !channels.available;
  // The field being typed in keeps what the person typed; the core's copy may be older.
  if (document.activeElement !== filter && filter.value !== channels.filter) filter.value = channels.filter;
  for (const table of document.querySelectorAll('#channels-view .table-scroll')) table.hidden = !channels.available;
  heads($('channel-columns'), channels.columns, sort);
  rows($('channel-rows'), channels.clients, (row) => (row.connected ? 'connected' : 'disconnected'));
  heads($('listener-columns'), channels.listener_columns, sort);
  rows($('listener-rows'), channels.listeners, (row) => (row.running ? 'connected' : 'disconnected'));
  $('channels-omitted').hidden = !channels.omitted_text;
  $('channels-omitted').textContent = channels.omitted_text ?? '';
  $('channels-totals').textContent = channels.available ? channels.totals_text : '';
  $('listeners-note').textContent = channels.available ? channels.listeners_note : '';
}

export function wireChannels(invoke, shout) {
  $('operator-tab-overview').addEventListener('click', () => showTab(false));
  $('operator-tab-channels').addEventListener('click', () => showTab(true));
  $('channels-filter').addEventListener('input', (event) =>
    invoke('channels_filter', { text: event.target.value }).catch(shout));
}
