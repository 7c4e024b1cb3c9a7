// Starts telegram-test-api (the local Bot API emulator) on 127.0.0.1 and a free port.
// Prints "READY <port>" once it listens; stops when stdin closes (the test run ended or died)
// or on SIGTERM/SIGINT. Usage: node emulator.js
'use strict';

const TelegramServer = require('telegram-test-api');

// Messages not fetched are kept this long (seconds): longer than any test session.
const server = new TelegramServer({ host: '127.0.0.1', port: 9000, storeTimeout: 3600 });
server.config.port = 0; // listen on a free port chosen by the system (the config needs a non-zero one)

let stopping = false;
function stop(code) {
  if (stopping) return;
  stopping = true;
  const timer = setTimeout(() => process.exit(code), 2000);
  server.stop().finally(() => { clearTimeout(timer); process.exit(code); });
}

server.start().then(() => {
  const { port } = server.server.address();
  process.stdout.write(`READY ${port}\n`);
}, (error) => {
  process.stderr.write(`emulator failed to start: ${error}\n`);
  process.exit(1);
});

process.stdin.resume();
process.stdin.on('end', () => stop(0));
process.stdin.on('error', () => stop(0));
process.on('SIGTERM', () => stop(0));
process.on('SIGINT', () => stop(0));
