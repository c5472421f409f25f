// The catalogue data. Netcore CE posts a batch per call: one key (the panel name) whose value is
// a list of activities, each naming its `channel` and `event`; the examples keep that shape.
// Netcore's samples were decoded from the URL-encoded `data=` lines of its documentation (the
// pretty-printed copies there have their e-mail addresses obfuscated). The comment above each
// entry says where its example comes from; the description (returned by the API) says only what
// happened.
#include "catalog/catalogues.h"

#include <utility>

namespace hookd {

namespace {

const std::vector<CatalogueEntry> kNetcoreChannels = {
    // Example: Netcore's published email open sample.
    {"email.opened", "Netcore email: the recipient opened the email.",
     R"json({
  "pod2_email_rashmi": [
    {
      "webhook_name": "Email Open Webhook",
      "msgid": "546",
      "channel": "email",
      "event_params": {
        "ip_addr": "106.51.148.72",
        "subject": "email broadcast to check webhook in broadcast 111",
        "ts": 221202154805,
        "fromfield": "sa <sa@m3m.in>",
        "camp_name": "email broadcast to check webhook in broadcast 111",
        "useragent": "Mozilla/5.0 (X11; Linux x86_64; rv:45.0) Gecko/20100101 Thunderbird/45.3.0 Lightning/4.7.4",
        "tags": "",
        "email": "test@gmail.com",
        "timestamp": "2022-12-02T15:48:05",
        "foreignkey": "test@gmail.com"
      },
      "event": "open",
      "custom_params": {
        "smartech_panel": "22428",
        "userid": "22428-546-40823"
      },
      "udt_params": {
        "attr1": "value1",
        "attr2": "value2"
      }
    }
  ]
})json"},
    // Example adapted from Netcore's email open sample (event and webhook_name changed; the
    // opener's ip_addr and useragent removed).
    {"email.delivered", "Netcore email: the email was delivered.",
     R"json({
  "pod2_email_rashmi": [
    {
      "webhook_name": "Email Delivered Webhook",
      "msgid": "546",
      "channel": "email",
      "event_params": {
        "subject": "email broadcast to check webhook in broadcast 111",
        "ts": 221202154805,
        "fromfield": "sa <sa@m3m.in>",
        "camp_name": "email broadcast to check webhook in broadcast 111",
        "tags": "",
        "email": "test@gmail.com",
        "timestamp": "2022-12-02T15:48:05",
        "foreignkey": "test@gmail.com"
      },
      "event": "delivered",
      "custom_params": {
        "smartech_panel": "22428",
        "userid": "22428-546-40823"
      },
      "udt_params": {
        "attr1": "value1",
        "attr2": "value2"
      }
    }
  ]
})json"},
    // Example adapted from Netcore's email open sample (event and webhook_name changed; url and
    // linkid added as in Netcore's RCS click sample).
    {"email.clicked", "Netcore email: the recipient clicked a link in the email.",
     R"json({
  "pod2_email_rashmi": [
    {
      "webhook_name": "Email Click Webhook",
      "msgid": "546",
      "channel": "email",
      "event_params": {
        "ip_addr": "106.51.148.72",
        "subject": "email broadcast to check webhook in broadcast 111",
        "ts": 221202154805,
        "fromfield": "sa <sa@m3m.in>",
        "camp_name": "email broadcast to check webhook in broadcast 111",
        "useragent": "Mozilla/5.0 (X11; Linux x86_64; rv:45.0) Gecko/20100101 Thunderbird/45.3.0 Lightning/4.7.4",
        "tags": "",
        "email": "test@gmail.com",
        "timestamp": "2022-12-02T15:48:05",
        "foreignkey": "test@gmail.com",
        "url": null,
        "linkid": "0"
      },
      "event": "click",
      "custom_params": {
        "smartech_panel": "22428",
        "userid": "22428-546-40823"
      },
      "udt_params": {
        "attr1": "value1",
        "attr2": "value2"
      }
    }
  ]
})json"},
    // Example adapted from Netcore's email open sample (event and webhook_name changed; the
    // opener's ip_addr and useragent removed).
    {"email.bounced", "Netcore email: the email bounced.",
     R"json({
  "pod2_email_rashmi": [
    {
      "webhook_name": "Email Bounce Webhook",
      "msgid": "546",
      "channel": "email",
      "event_params": {
        "subject": "email broadcast to check webhook in broadcast 111",
        "ts": 221202154805,
        "fromfield": "sa <sa@m3m.in>",
        "camp_name": "email broadcast to check webhook in broadcast 111",
        "tags": "",
        "email": "test@gmail.com",
        "timestamp": "2022-12-02T15:48:05",
        "foreignkey": "test@gmail.com"
      },
      "event": "bounce",
      "custom_params": {
        "smartech_panel": "22428",
        "userid": "22428-546-40823"
      },
      "udt_params": {
        "attr1": "value1",
        "attr2": "value2"
      }
    }
  ]
})json"},
    // Example: Netcore's published SMS delivered sample, a batch that also carries an email open
    // activity.
    {"sms.delivered", "Netcore SMS: the SMS was delivered.",
     R"json({
  "qa_manual1": [
    {
      "channel": "sms",
      "event": "delivered",
      "custom_params": {
        "Action": "SMS Deliver"
      },
      "att_params": {
        "LASTNAME": "",
        "FIRSTNAME": "",
        "MOBILE": "9999999999",
        "EMAIL": "abcd@gmail.com"
      },
      "msgid": "1318",
      "webhook_name": "testqa112",
      "event_params": {
        "foreignkey": "abcd@gmail.com",
        "timestamp": "2022-12-01T18:12:46",
        "ts": 221201181246,
        "name": "WebHook Test_SMS",
        "mobile": "8281904975"
      },
      "journey_name": "Webhook Journey_SMS"
    },
    {
      "channel": "email",
      "event": "open",
      "custom_params": {
        "Action": "Email Open"
      },
      "att_params": {
        "LASTNAME": "Thomas",
        "FIRSTNAME": "RMT",
        "MOBILE": "1234567890",
        "EMAIL": "abcde@gmail.com"
      },
      "msgid": "4930",
      "webhook_name": "testqa112",
      "event_params": {
        "ip_addr": "66.249.84.250",
        "foreignkey": "abcde@gmail.com",
        "timestamp": "2022-12-01T18:12:54",
        "ts": 221201181254,
        "user_agent": "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
        "name": null,
        "mobile": "1234567890"
      },
      "journey_name": "Webhook Journey_Email"
    }
  ]
})json"},
    // Example adapted from Netcore's SMS delivered sample (its SMS activity only; event and
    // custom_params.Action changed).
    {"sms.clicked", "Netcore SMS: the recipient clicked a link in the SMS.",
     R"json({
  "qa_manual1": [
    {
      "channel": "sms",
      "event": "click",
      "custom_params": {
        "Action": "SMS Click"
      },
      "att_params": {
        "LASTNAME": "",
        "FIRSTNAME": "",
        "MOBILE": "9999999999",
        "EMAIL": "abcd@gmail.com"
      },
      "msgid": "1318",
      "webhook_name": "testqa112",
      "event_params": {
        "foreignkey": "abcd@gmail.com",
        "timestamp": "2022-12-01T18:12:46",
        "ts": 221201181246,
        "name": "WebHook Test_SMS",
        "mobile": "8281904975"
      },
      "journey_name": "Webhook Journey_SMS"
    }
  ]
})json"},
    // Example: Netcore's published APN delivered sample.
    {"apn.delivered", "Netcore APN (app push notification): the notification was delivered.",
     R"json({
  "pod2_email_rashmi": [
    {
      "channel": "apn",
      "event": "delivered",
      "custom_params": {
        "Action": "APN Deliver"
      },
      "att_params": {
        "CITY": "Webhook",
        "MOBILE": "9999999999",
        "EMAIL": "abcd@gmail.com"
      },
      "msgid": "291",
      "webhook_name": "tushar_test",
      "event_params": {
        "ip_addr": "14.142.143.138",
        "ts": 221125154047,
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/107.0.0.0 Safari/537.36",
        "name": null,
        "token_id": null,
        "timestamp": "2022-11-25T15:40:47",
        "foreignkey": "abcd@gmail.com",
        "token": [
          "fYOsTM2fTKJT7u1Ytyo6L2:APA91bGMraEGETT2OHnywGCIZT9zvvLUD2Jf354Z3lXHFrJZa6xBH1aHPWQYlohYOA7Mt3u27unofPNkqepcTIjIHn4mrUITblIAbF8H3Fe2gbFM8P_5PWH7rjEbsJaXKZXK40W15b9r"
        ]
      },
      "journey_name": "APN_channel_WBh"
    }
  ]
})json"},
    // Example adapted from Netcore's APN delivered sample (event and custom_params.Action changed).
    {"apn.clicked", "Netcore APN (app push notification): the recipient clicked the notification.",
     R"json({
  "pod2_email_rashmi": [
    {
      "channel": "apn",
      "event": "click",
      "custom_params": {
        "Action": "APN Click"
      },
      "att_params": {
        "CITY": "Webhook",
        "MOBILE": "9999999999",
        "EMAIL": "abcd@gmail.com"
      },
      "msgid": "291",
      "webhook_name": "tushar_test",
      "event_params": {
        "ip_addr": "14.142.143.138",
        "ts": 221125154047,
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/107.0.0.0 Safari/537.36",
        "name": null,
        "token_id": null,
        "timestamp": "2022-11-25T15:40:47",
        "foreignkey": "abcd@gmail.com",
        "token": [
          "fYOsTM2fTKJT7u1Ytyo6L2:APA91bGMraEGETT2OHnywGCIZT9zvvLUD2Jf354Z3lXHFrJZa6xBH1aHPWQYlohYOA7Mt3u27unofPNkqepcTIjIHn4mrUITblIAbF8H3Fe2gbFM8P_5PWH7rjEbsJaXKZXK40W15b9r"
        ]
      },
      "journey_name": "APN_channel_WBh"
    }
  ]
})json"},
    // Example: Netcore's published BPN delivered sample.
    {"bpn.delivered", "Netcore BPN (browser push notification): the notification was delivered.",
     R"json({
  "pod2_email_rashmi": [
    {
      "channel": "bpn",
      "event": "delivered",
      "custom_params": {
        "Action": "BPN Deliver"
      },
      "att_params": {
        "CITY": "Webhook",
        "MOBILE": "9999999999",
        "EMAIL": "abcde@gmail.com"
      },
      "msgid": "291",
      "webhook_name": "tushar_test",
      "event_params": {
        "ip_addr": "14.142.143.138",
        "ts": 221125154047,
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/107.0.0.0 Safari/537.36",
        "name": null,
        "token_id": null,
        "timestamp": "2022-11-25T15:40:47",
        "foreignkey": "abcde@gmail.com",
        "token": [
          "fYOsTM2fTKJT7u1Ytyo6L2:APA91bGMraEGETT2OHnywGCIZT9zvvLUD2Jf354Z3lXHFrJZa6xBH1aHPWQYlohYOA7Mt3u27unofPNkqepcTIjIHn4mrUITblIAbF8H3Fe2gbFM8P_5PWH7rjEbsJaXKZXK40W15b9r"
        ]
      },
      "journey_name": "BPN_channel_WBh"
    }
  ]
})json"},
    // Example adapted from Netcore's BPN delivered sample (event and custom_params.Action changed).
    {"bpn.clicked",
     "Netcore BPN (browser push notification): the recipient clicked the notification.",
     R"json({
  "pod2_email_rashmi": [
    {
      "channel": "bpn",
      "event": "click",
      "custom_params": {
        "Action": "BPN Click"
      },
      "att_params": {
        "CITY": "Webhook",
        "MOBILE": "9999999999",
        "EMAIL": "abcde@gmail.com"
      },
      "msgid": "291",
      "webhook_name": "tushar_test",
      "event_params": {
        "ip_addr": "14.142.143.138",
        "ts": 221125154047,
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/107.0.0.0 Safari/537.36",
        "name": null,
        "token_id": null,
        "timestamp": "2022-11-25T15:40:47",
        "foreignkey": "abcde@gmail.com",
        "token": [
          "fYOsTM2fTKJT7u1Ytyo6L2:APA91bGMraEGETT2OHnywGCIZT9zvvLUD2Jf354Z3lXHFrJZa6xBH1aHPWQYlohYOA7Mt3u27unofPNkqepcTIjIHn4mrUITblIAbF8H3Fe2gbFM8P_5PWH7rjEbsJaXKZXK40W15b9r"
        ]
      },
      "journey_name": "BPN_channel_WBh"
    }
  ]
})json"},
    // Example adapted from Netcore's WhatsApp clicked sample (its first activity only; event
    // changed).
    {"whatsapp.delivered", "Netcore WhatsApp: the message was delivered.",
     R"json({
  "qa_manual1": [
    {
      "channel": "whatsapp",
      "event": "delivered",
      "custom_params": {
        "Action": "WhatsApp Delivered"
      },
      "att_params": {
        "LASTNAME": "",
        "FIRSTNAME": "",
        "MOBILE": "9999999999",
        "EMAIL": "abcd@gmail.com"
      },
      "msgid": "1318",
      "webhook_name": "testqa112",
      "event_params": {
        "foreignkey": "999999999",
        "timestamp": "2022-12-01T18:12:46",
        "ts": 221201181246,
        "name": "WebHook Test_whatsapp",
        "mobile": "999999999"
      },
      "journey_name": "Webhook Journey_whatsapp"
    }
  ]
})json"},
    // Example adapted from Netcore's WhatsApp clicked sample (its first activity only; event and
    // custom_params.Action changed).
    {"whatsapp.opened", "Netcore WhatsApp: the recipient opened (read) the message.",
     R"json({
  "qa_manual1": [
    {
      "channel": "whatsapp",
      "event": "open",
      "custom_params": {
        "Action": "WhatsApp Open"
      },
      "att_params": {
        "LASTNAME": "",
        "FIRSTNAME": "",
        "MOBILE": "9999999999",
        "EMAIL": "abcd@gmail.com"
      },
      "msgid": "1318",
      "webhook_name": "testqa112",
      "event_params": {
        "foreignkey": "999999999",
        "timestamp": "2022-12-01T18:12:46",
        "ts": 221201181246,
        "name": "WebHook Test_whatsapp",
        "mobile": "999999999"
      },
      "journey_name": "Webhook Journey_whatsapp"
    }
  ]
})json"},
    // Example: Netcore's published WhatsApp clicked sample (two activities, spelt as Netcore's
    // sample spells them).
    {"whatsapp.clicked", "Netcore WhatsApp: the recipient clicked a link in the message.",
     R"json({
  "qa_manual1": [
    {
      "channel": "whatsapp",
      "event": "clicked",
      "custom_params": {
        "Action": "WhatsApp Delivered"
      },
      "att_params": {
        "LASTNAME": "",
        "FIRSTNAME": "",
        "MOBILE": "9999999999",
        "EMAIL": "abcd@gmail.com"
      },
      "msgid": "1318",
      "webhook_name": "testqa112",
      "event_params": {
        "foreignkey": "999999999",
        "timestamp": "2022-12-01T18:12:46",
        "ts": 221201181246,
        "name": "WebHook Test_whatsapp",
        "mobile": "999999999"
      },
      "journey_name": "Webhook Journey_whatsapp"
    },
    {
      "channel": "WhatsApp",
      "event": "Clicked",
      "custom_params": {
        "Action": "Whatsapp clicked"
      },
      "att_params": {
        "LASTNAME": "Thomas",
        "FIRSTNAME": "RMT",
        "MOBILE": "999999999",
        "EMAIL": "abcde@gmail.com"
      },
      "msgid": "4930",
      "webhook_name": "testqa112",
      "event_params": {
        "ip_addr": "66.249.84.250",
        "foreignkey": "999999999",
        "timestamp": "2022-12-01T18:12:54",
        "ts": 221201181254,
        "user_agent": "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
        "name": null,
        "mobile": "999999999"
      },
      "journey_name": "Webhook Journey_Email"
    }
  ]
})json"},
    // Example adapted from Netcore's WhatsApp clicked sample (its first activity only; event and
    // custom_params.Action changed).
    {"whatsapp.failed", "Netcore WhatsApp: the message could not be delivered.",
     R"json({
  "qa_manual1": [
    {
      "channel": "whatsapp",
      "event": "failed",
      "custom_params": {
        "Action": "WhatsApp Failed"
      },
      "att_params": {
        "LASTNAME": "",
        "FIRSTNAME": "",
        "MOBILE": "9999999999",
        "EMAIL": "abcd@gmail.com"
      },
      "msgid": "1318",
      "webhook_name": "testqa112",
      "event_params": {
        "foreignkey": "999999999",
        "timestamp": "2022-12-01T18:12:46",
        "ts": 221201181246,
        "name": "WebHook Test_whatsapp",
        "mobile": "999999999"
      },
      "journey_name": "Webhook Journey_whatsapp"
    }
  ]
})json"},
    // Example adapted from Netcore's RCS click sample (event and journey_name changed; the click's
    // url and linkid removed).
    {"rcs.delivered", "Netcore RCS: the message was delivered.",
     R"json({
  "pod2_lakshman": [
    {
      "channel": "rcs",
      "event": "delivered",
      "custom_params": {
        "key1": "value1"
      },
      "att_params": {
        "STATE": "webhook",
        "EMAIL": "zaki.netcore77@gmail.com"
      },
      "msgid": "372",
      "webhook_name": "new_webhook",
      "event_params": {
        "timestamp": "2024-07-04T12:25:01",
        "foreignkey": "zaki.netcore77@gmail.com",
        "ts": "240704122501",
        "camp_name": "webhook RCS"
      },
      "journey_name": "RCS Delivered Webhook Journey"
    }
  ]
})json"},
    // Example adapted from Netcore's RCS click sample (event and journey_name changed; the click's
    // url and linkid removed).
    {"rcs.opened", "Netcore RCS: the recipient opened the message.",
     R"json({
  "pod2_lakshman": [
    {
      "channel": "rcs",
      "event": "open",
      "custom_params": {
        "key1": "value1"
      },
      "att_params": {
        "STATE": "webhook",
        "EMAIL": "zaki.netcore77@gmail.com"
      },
      "msgid": "372",
      "webhook_name": "new_webhook",
      "event_params": {
        "timestamp": "2024-07-04T12:25:01",
        "foreignkey": "zaki.netcore77@gmail.com",
        "ts": "240704122501",
        "camp_name": "webhook RCS"
      },
      "journey_name": "RCS Open Webhook Journey"
    }
  ]
})json"},
    // Example: Netcore's published RCS click sample.
    {"rcs.clicked", "Netcore RCS: the recipient clicked in the message.",
     R"json({
  "pod2_lakshman": [
    {
      "channel": "rcs",
      "event": "click",
      "custom_params": {
        "key1": "value1"
      },
      "att_params": {
        "STATE": "webhook",
        "EMAIL": "zaki.netcore77@gmail.com"
      },
      "msgid": "372",
      "webhook_name": "new_webhook",
      "event_params": {
        "timestamp": "2024-07-04T12:25:01",
        "foreignkey": "zaki.netcore77@gmail.com",
        "ts": "240704122501",
        "url": null,
        "camp_name": "webhook RCS",
        "linkid": "0"
      },
      "journey_name": "RCS Click Webhook Journey"
    }
  ]
})json"},
    // Example adapted from Netcore's RCS click sample (event and journey_name changed; the click's
    // url and linkid removed).
    {"rcs.failed", "Netcore RCS: the message could not be delivered.",
     R"json({
  "pod2_lakshman": [
    {
      "channel": "rcs",
      "event": "failed",
      "custom_params": {
        "key1": "value1"
      },
      "att_params": {
        "STATE": "webhook",
        "EMAIL": "zaki.netcore77@gmail.com"
      },
      "msgid": "372",
      "webhook_name": "new_webhook",
      "event_params": {
        "timestamp": "2024-07-04T12:25:01",
        "foreignkey": "zaki.netcore77@gmail.com",
        "ts": "240704122501",
        "camp_name": "webhook RCS"
      },
      "journey_name": "RCS Failed Webhook Journey"
    }
  ]
})json"},
    // Example: Netcore's published custom_activity sample.
    {"custom.activity",
     "Netcore web or custom activity (e.g. a product search) that a journey forwards.",
     R"json({
  "<panel_name>": [
    {
      "channel": "custom_activity",
      "custom_params": {},
      "att_params": {
        "CITY": "Thane&Kalyan",
        "STATE": "Maharashtra11"
      },
      "msgid": "103",
      "webhook_name": "Test Webhook URL for Automation",
      "payload_params": {
        "items": [
          {
            "dateofpurchase_sm": "2018-12-06 17:11:30",
            "category_s": "lifestyle",
            "prqt_s": 1,
            "prid_s": 157,
            "name_s": "sarvesh12345",
            "bydemand_s": "sarvesh",
            "price_s": 9990.91
          },
          {
            "dateofpurchase_sm": "2018-12-06 17:11:30",
            "category_s": "lifestyle",
            "prqt_s": 2,
            "prid_s": 157,
            "name_s": "sarvesh",
            "bydemand_s": "sarvesh",
            "price_s": 9990.91
          }
        ]
      },
      "event_params": {
        "activity_source": "web",
        "ts": 221202154805,
        "activity_id": 103,
        "timestamp": "2022-12-02T15:48:05",
        "foreignkey": "<foreignkey>",
        "identity": "<identity>",
        "asset_name": "<name_of_asset_from_smartech>",
        "asset_id": "b001207f68c6e40519b5b2c7fb055930",
        "guid": "2a867f6d-cb7f-4fb7-8da4-02a5d5dd1bd8"
      },
      "journey_name": "act on webhook trigger test1"
    }
  ]
})json"},
};

const std::vector<CatalogueEntry> kChatbot = {
    // Example: the chatbot platform's sample.
    {"chatbot.response",
     "Chatbot: the end user answered a prompt (webhook as the Redirect Type); `response` holds the "
     "answer.",
     R"json({
  "campaignId": "13010",
  "label": "Welcome Message",
  "phoneNumber": "+525500000000",
  "date": "2024-06-18T23:22:36.560Z",
  "response": "John Doe"
})json"},
    // Example: the chatbot platform's sample.
    {"chatbot.option_chosen",
     "Chatbot: the end user chose a menu option (webhook toggle on the option); `option` is the "
     "option, `keyword` what the user typed.",
     R"json({
  "campaignId": "13010",
  "label": "Welcome Message",
  "option": "One month",
  "keyword": 1,
  "phoneNumber": "+525500000000",
  "date": "2024-06-18T23:26:14.206Z"
})json"},
};

const std::pair<std::string_view, const std::vector<CatalogueEntry>*> kCatalogues[] = {
    {"netcore-channels", &kNetcoreChannels},
    {"chatbot", &kChatbot},
};

}  // namespace

const std::vector<CatalogueEntry>* find_catalogue(std::string_view name) {
  for (const auto& [catalogue_name, entries] : kCatalogues) {
    if (catalogue_name == name) return entries;
  }
  return nullptr;
}

std::vector<std::string> catalogue_names() {
  std::vector<std::string> names;
  for (const auto& [catalogue_name, entries] : kCatalogues) names.emplace_back(catalogue_name);
  return names;
}

}  // namespace hookd
