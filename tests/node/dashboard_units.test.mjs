// The dashboard's pure functions, run by Node's own test runner (node --test): the metric text
// parser and quantiles of the operations screen, the request as a curl command, the signature
// debugger's header parsing, and where a journey's validation error belongs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import test from 'node:test';
import { promisify } from 'node:util';

import { asCurl } from '../../web/js/views/endpoint.js';
import { nodeOfError } from '../../web/js/views/journeys.js';
import { histogramQuantile, parseMetrics, percentile } from '../../web/js/views/operations.js';
import { parseHeaders } from '../../web/js/views/signature.js';

test('metric text: counters summed over labels, histogram buckets kept', () => {
  const { values, buckets } = parseMetrics([
    '# HELP hookd_x a counter',
    'hookd_deliveries_succeeded_total 7',
    'hookd_connections_open{thread="0"} 2',
    'hookd_connections_open{thread="1"} 3',
    'hookd_delivery_latency_seconds_bucket{le="0.01"} 5',
    'hookd_delivery_latency_seconds_bucket{le="0.1"} 9',
    'hookd_delivery_latency_seconds_bucket{le="+Inf"} 10',
  ].join('\n'));
  assert.equal(values.hookd_deliveries_succeeded_total, 7);
  assert.equal(values.hookd_connections_open, 5);
  const latency = buckets.hookd_delivery_latency_seconds_bucket;
  assert.equal(histogramQuantile(latency, 0.5), 0.01);
  assert.equal(histogramQuantile(latency, 0.9), 0.1);
  assert.equal(histogramQuantile(latency, 0.99), Infinity);
  assert.equal(histogramQuantile([], 0.5), null);
  assert.equal(histogramQuantile([[1, 0], [Infinity, 0]], 0.5), null);
});

test('percentiles of response times', () => {
  assert.equal(percentile([], 0.5), null);
  assert.equal(percentile([5], 0.99), 5);
  const ms = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 .. 1
  assert.equal(percentile(ms, 0.5), 50);
  assert.equal(percentile(ms, 0.9), 90);
  assert.equal(percentile(ms, 0.99), 99);
});

test('a request as curl sends the same bytes, quotes and all', async () => {
  const got = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.end('ok');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const body = `data=%7B%22it's%22%3A%22a%20"quote"%22%7D\n$HOME \`x\``;
  const command = asCurl({
    method: 'POST',
    url: `http://127.0.0.1:${server.address().port}/hook?x=1&y=2`,
    headers: { 'webhook-id': 'msg_1', 'X-Odd': "it's $HOME", 'Content-Type': 'text/plain' },
    body,
  });
  await promisify(execFile)('bash', ['-c', `${command} -sS -o /dev/null --max-time 10`]);
  server.close();
  assert.equal(got.length, 1);
  assert.equal(got[0].body, body);
  assert.equal(got[0].headers['x-odd'], "it's $HOME");
  assert.equal(got[0].headers['webhook-id'], 'msg_1');
});

test('received headers pasted as lines or as JSON', () => {
  assert.deepEqual(parseHeaders('webhook-id: msg_1\r\nwebhook-signature: v1,a:b=\n\nnot a header\n'),
    { 'webhook-id': 'msg_1', 'webhook-signature': 'v1,a:b=' });
  assert.deepEqual(parseHeaders(' {"webhook-id": "msg_2"} '), { 'webhook-id': 'msg_2' });
  assert.throws(() => parseHeaders('{oops'));
});

test('a journey error belongs to the node it names', () => {
  assert.equal(nodeOfError('definition.nodes[1].within | node "wait": within: must be a duration'), 'wait');
  assert.equal(nodeOfError('definition: name: required'), null);
  assert.equal(nodeOfError(undefined), null);
});
