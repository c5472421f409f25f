#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

// The people journeys follow (docs/journeys.md): an application's contacts, identified by a key
// of the application's choosing (an email, a phone number, an id: Netcore's `foreignkey`), with
// attributes, and the activities they perform. Plain data.
namespace hookd {

// An attribute's value is any JSON value, kept as its JSON text.
struct Contact {
  std::string app_id;
  std::string key;
  std::map<std::string, std::string> attributes;  // name -> JSON value
  int64_t created_at = 0;                         // unix ms
  int64_t updated_at = 0;
};

// Attributes merged into a contact, created when it does not exist: each named attribute is
// set, and removed when its value is JSON `null`; the others stay as they are.
struct ContactUpdate {
  std::string key;
  std::map<std::string, std::string> attributes;  // name -> JSON value ("null": remove)
};

// Something a contact did: `name` ("added_to_cart") with its `params` (a JSON object).
struct Activity {
  std::string id;  // the sender's id (a repeat is not stored twice), or one hookd made (act_...)
  std::string app_id;
  std::string contact_key;
  std::string name;
  std::string params;       // JSON object text
  int64_t occurred_at = 0;  // unix ms: the sender's timestamp, else when it was received
  int64_t received_at = 0;
  int64_t seq = 0;  // the order the store took them in; set by the store's reads
};

}  // namespace hookd
