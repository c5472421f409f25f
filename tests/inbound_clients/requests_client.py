# The "Python" example of Skalin's connector docs, unchanged except the host:
# tests/test_inbound.py puts http://127.0.0.1:<port> in place of the HOOKD_BASE_URL
# placeholder and runs a copy with /usr/bin/python3.
import requests
import json
url = '@HOOKD_BASE_URL@/webhook/05cb3204b49ff92d'
headers = {'Content-Type': 'application/json', 'Cache-Control': 'no-cache'}
params = {"client_id": "2bb91c92dr779103"}
data = {
"eventId": "e07595f29f1928y5",
"customerId": "customer1234",
"event": {
"name": "ActivationService",
"score": 5
}
}
response = requests.post(url=url, headers=headers, params=params, data=json.dumps(data))
