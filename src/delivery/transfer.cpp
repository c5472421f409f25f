#include "delivery/transfer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>

#include <strings.h>

#include <string_view>

#include "common/time.h"
#include "delivery/payload_transform.h"
#include "delivery/target_resolver.h"
#include "signing/asymmetric.h"
#include "signing/signature.h"

namespace hookd {

namespace {

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  t->response_bytes += n;
  if (t->response.size() < t->options->response_excerpt_bytes) {
    t->response.append(data, std::min(n, t->options->response_excerpt_bytes - t->response.size()));
  }
  if (t->response_bytes > t->options->max_response_bytes) {
    t->body_too_large = true;
    return 0;  // stops the transfer; the status line already arrived
  }
  return n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  constexpr std::string_view kName = "retry-after:";
  if (n > kName.size() && strncasecmp(data, kName.data(), kName.size()) == 0) {
    t->retry_after_ms = parse_retry_after_ms(
        std::string_view(data + kName.size(), n - kName.size()), now_unix_ms());
  }
  return n;
}

// Without a proxy every address libcurl connects to is the receiver's, and is checked here. With
// one, the only connection is to the proxy, which the operator configured and is trusted; the
// receiver's addresses were checked by pin_to_checked_address.
curl_socket_t on_open_socket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto* t = static_cast<Transfer*>(user);
  if (purpose == CURLSOCKTYPE_IPCXN && t->refuse_connect) return CURL_SOCKET_BAD;
  if (purpose == CURLSOCKTYPE_IPCXN && t->options->egress_proxy.empty() &&
      !t->options->address_policy.permits(reinterpret_cast<const sockaddr*>(&address->addr))) {
    t->address_refused = true;
    char text[INET6_ADDRSTRLEN] = "?";
    const auto* sa = reinterpret_cast<const sockaddr*>(&address->addr);
    if (sa->sa_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, text, sizeof text);
    } else if (sa->sa_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, text, sizeof text);
    }
    t->refused_address = text;
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

// Through a proxy: resolves the receiver's host here, and either pins the request to a checked
// address (a CONNECT to that address; TLS still checks the URL's host) or refuses to connect.
void pin_to_checked_address(Transfer& t) {
  const auto target = url_target(t.endpoint->url);
  const ResolvedTarget resolved =
      target ? TargetResolver::shared().resolve(target->host, t.options->address_policy,
                                                now_steady_ms())
             : ResolvedTarget{ResolvedTarget::Status::kUnresolved, "", "no host in the URL"};
  if (resolved.status == ResolvedTarget::Status::kAllowed) {
    const std::string& ip = resolved.address;
    const std::string host = ip.find(':') == std::string::npos ? ip : "[" + ip + "]";
    // "::" matches any host and port of the URL.
    t.connect_to =
        curl_slist_append(nullptr, ("::" + host + ":" + std::to_string(target->port)).c_str());
  } else if (resolved.status == ResolvedTarget::Status::kRefused) {
    t.refuse_connect = t.address_refused = true;
    t.refused_address = resolved.address;
  } else {
    t.refuse_connect = true;
    t.unresolved = resolved.error;
  }
  curl_easy_setopt(t.easy, CURLOPT_CONNECT_TO, t.connect_to);
}

}  // namespace

Transfer::Transfer(const DispatcherOptions& opts) : options(&opts), easy(curl_easy_init()) {
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, opts.https_only ? "https" : "http,https");
  if (!opts.egress_interface.empty()) {
    curl_easy_setopt(easy, CURLOPT_INTERFACE, opts.egress_interface.c_str());
  }
  // Only the configured proxy: an empty string also stops libcurl reading http_proxy and
  // friends from the environment on every request.
  curl_easy_setopt(easy, CURLOPT_PROXY, opts.egress_proxy.c_str());
  // Through an HTTP proxy always a CONNECT tunnel, so that CURLOPT_CONNECT_TO can name the
  // address hookd checked (a plain proxied request would leave the name to the proxy).
  if (!opts.egress_proxy.empty()) curl_easy_setopt(easy, CURLOPT_HTTPPROXYTUNNEL, 1L);
  curl_easy_setopt(easy, CURLOPT_POST, 1L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, opts.user_agent.c_str());
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(opts.request_timeout_ms));
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(opts.connect_timeout_ms));
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, this);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, this);
}

Transfer::~Transfer() {
  curl_slist_free_all(headers);
  curl_slist_free_all(connect_to);
  curl_easy_cleanup(easy);
}

void Transfer::recycle() {
  refused_address.clear();
  if (connect_to != nullptr) {
    curl_easy_setopt(easy, CURLOPT_CONNECT_TO, nullptr);
    curl_slist_free_all(connect_to);
    connect_to = nullptr;
  }
  refuse_connect = false;
  unresolved.clear();
  form_body.clear();
  curl_slist_free_all(headers);
  headers = nullptr;
  job = DeliveryJob{};
  more.clear();
  envelope_key.clear();
  endpoint.reset();
  response.clear();
  response_bytes = 0;
  retry_after_ms.reset();
  address_refused = false;
  body_too_large = false;
}

void prepare_request(Transfer& t, int64_t now_ms) {
  CURL* e = t.easy;
  const Message& msg = *t.job.message;
  const CatalogEndpoint& ep = *t.endpoint;
  const int64_t timestamp = now_ms / 1000;

  std::vector<std::string> keys;
  for (const auto& secret : ep.secrets) {
    if (!secret.key.empty() && (secret.expires_at == 0 || secret.expires_at > now_ms)) {
      keys.push_back(secret.key);
    }
  }
  // Form endpoints get "data=<percent-encoded payload>"; the signature covers the body sent.
  std::string_view body = msg.payload;
  std::string id_of_batch;
  if (ep.batch_max_events > 0) {
    // {"<key>": [payload, ...]}: each payload reshaped first, when the endpoint asks.
    std::vector<std::string> reshaped;
    std::vector<std::string_view> items;
    items.reserve(t.job_count());
    const bool reshape = !ep.field_selection.empty() || !ep.extra_fields_json.empty();
    const PayloadShape shape{ep.field_selection, ep.extra_fields_json};
    if (reshape) reshaped.reserve(t.job_count());
    for (size_t i = 0; i < t.job_count(); ++i) {
      const std::string& payload = t.job_at(i).message->payload;
      if (reshape) {
        reshaped.push_back(reshape_payload(payload, shape));
        items.emplace_back(reshaped.back());
      } else {
        items.emplace_back(payload);
      }
    }
    t.form_body = envelope_body(t.envelope_key, items);
    body = t.form_body;
    id_of_batch = batch_id(t);
  } else if (!ep.field_selection.empty() || !ep.extra_fields_json.empty()) {
    t.form_body = reshape_payload(msg.payload, {ep.field_selection, ep.extra_fields_json});
    body = t.form_body;
  }
  if (ep.form_format) {
    t.form_body = "data=" + form_encode(body);
    body = t.form_body;
  }
  const std::string& webhook_id = id_of_batch.empty() ? msg.id : id_of_batch;
  const std::string signature =
      ep.signing_type == "ed25519" && ep.signing_key
          ? signing::sign_v1a(*ep.signing_key, webhook_id, timestamp, body)
          : signing::signature_header(keys, webhook_id, timestamp, body);

  t.headers = curl_slist_append(t.headers, ep.form_format
                                               ? "Content-Type: application/x-www-form-urlencoded"
                                               : "Content-Type: application/json");
  t.headers = curl_slist_append(t.headers, ("webhook-id: " + webhook_id).c_str());
  t.headers =
      curl_slist_append(t.headers, ("webhook-timestamp: " + std::to_string(timestamp)).c_str());
  t.headers = curl_slist_append(t.headers, ("webhook-signature: " + signature).c_str());
  t.headers = curl_slist_append(t.headers, "Expect:");  // no 100-continue round trip
  for (const auto& [name, value] : ep.headers) {
    // libcurl reads "Name:" as "remove this header"; "Name;" sends it with an empty value.
    t.headers =
        curl_slist_append(t.headers, (value.empty() ? name + ";" : name + ": " + value).c_str());
  }
  if (ep.signing_type == "rsa" && ep.signing_key) {
    t.headers = curl_slist_append(
        t.headers,
        (ep.signature_header + ": " + signing::base64_encode(ep.signing_key->sign(body))).c_str());
  }
  if (!ep.basic_username.empty()) {
    t.headers = curl_slist_append(
        t.headers, ("Authorization: Basic " +
                    signing::base64_encode(ep.basic_username + ":" + ep.basic_password))
                       .c_str());
  }

  curl_easy_setopt(e, CURLOPT_URL, ep.url.c_str());
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);
  if (!t.options->egress_proxy.empty()) pin_to_checked_address(t);
}

std::string take_response_text(Transfer& t, CURLcode code, const TransferOutcome& outcome) {
  if (outcome.status_code != 0) return std::move(t.response);
  if (t.address_refused) {
    return "refused by the SSRF policy: " + t.refused_address +
           " is a private, loopback, link-local or reserved address (see ssrf_allow)";
  }
  if (!t.unresolved.empty()) return t.unresolved;
  return curl_easy_strerror(code);
}

std::string batch_id(const Transfer& t) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  for (size_t i = 0; i < t.job_count(); ++i) {
    const std::string& id = t.job_at(i).message->id;
    const auto size = static_cast<uint32_t>(id.size());  // length-prefixed: no two lists alike
    EVP_DigestUpdate(ctx, &size, sizeof size);
    EVP_DigestUpdate(ctx, id.data(), id.size());
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx, digest, &size);
  EVP_MD_CTX_free(ctx);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "batch_";
  for (unsigned int i = 0; i < 16 && i < size; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

std::string form_encode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size() * 3);
  for (const unsigned char c : bytes) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

TransferOutcome classify(const Transfer& t, CURLcode code) {
  long status = 0;
  curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
  TransferOutcome out;
  out.status_code = static_cast<int>(status);
  if (code == CURLE_OK || (t.body_too_large && status != 0)) {
    out.success =
        t.endpoint && t.endpoint->success_only_200 ? status == 200 : status >= 200 && status < 300;
    out.error_class =
        out.success ? "none" : (status >= 300 && status < 400 ? "redirect" : "http_status");
    return out;
  }
  if (t.address_refused) {
    out.error_class = "ssrf_blocked";
  } else if (!t.unresolved.empty()) {
    out.error_class = "dns";
  } else if (code == CURLE_OPERATION_TIMEDOUT) {
    out.error_class = "timeout";
  } else if (code == CURLE_COULDNT_RESOLVE_HOST) {
    out.error_class = "dns";
  } else if (code == CURLE_COULDNT_CONNECT) {
    out.error_class = "connect";
  } else if (code == CURLE_SSL_CONNECT_ERROR || code == CURLE_PEER_FAILED_VERIFICATION ||
             code == CURLE_SSL_CERTPROBLEM || code == CURLE_SSL_CACERT_BADFILE) {
    out.error_class = "tls";
  } else {
    out.error_class = "network";
  }
  return out;
}

}  // namespace hookd
