# The "Shell script" example of Skalin's connector docs, unchanged except the host:
# tests/test_inbound.py puts http://127.0.0.1:<port> in place of the HOOKD_BASE_URL
# placeholder and runs a copy with sh.
curl --location \
--request POST '@HOOKD_BASE_URL@/webhook/05cb3204b49ff92d?client_id=2bb91c92dr779103' \
--header 'Cache-Control: no-cache' \
--header 'Content-type: application/json' \
--data-raw '{
"eventId":"e07595f29f1928y5",
"customerId":"customer1234",
"event": {
"name": "ActivationService",
"score": 5
}
}'
