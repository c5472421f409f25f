<?php
// The "Php" example of Skalin's connector docs, unchanged except the host and the opening
// tag: tests/test_inbound.py puts http://127.0.0.1:<port> in place of the HOOKD_BASE_URL
// placeholder and runs a copy with php.
// Your ClientId and webhookId
$clientId = '2bb91c92dr779103';
$webhooId = '05cb3204b49ff92d';
$featureName = 'ActivationService';
$featureScore = 5;
$url = '@HOOKD_BASE_URL@/webhook/'.$webhooId.'?client_id='.$clientId;
// The data to send to the API
$postData = array(
'eventId' => 'e07595f29f1928y5',
'customerId' => 'customer1234',
'event' => array('name' => $featureName, 'score' => $featureScore)
);
// Create the context for the request
$context = stream_context_create(array(
'http' => array(
'method' => 'POST',
'header' => "Cache-Control: no-cache\r\n".
"Content-Type: application/json\r\n",
'content' => json_encode($postData)
)
));
// Send the request
$response = file_get_contents($url, FALSE, $context);
// Check for errors
if($response === FALSE){
die('Error');
}
// Decode the response
$responseData = json_decode($response, TRUE);
