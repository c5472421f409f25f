// The concrete "Javascript" example of Skalin's connector docs, unchanged except the host
// and the import: tests/test_inbound.py puts http://127.0.0.1:<port> in place of the
// HOOKD_BASE_URL placeholder and runs a copy next to a node_modules link to tests/node/node_modules.
// A refused request rejects the promise; the unhandled rejection makes node exit non-zero.
import axios from "axios";

axios({
method: 'POST',
url: '@HOOKD_BASE_URL@/webhook/05cb3204b49ff92d',
headers: {
'Cache-Control': 'no-cache',
'Content-Type': 'application/json'
},
params: {
client_id: '2bb91c92dr779103'
},
data: {
eventId: "e07595f29f1928y5",
customerId: "customer1234",
event: {
name: "ActivationService",
score: 5
}
}
});
