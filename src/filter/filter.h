#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/problem.h"

// Payload filters on endpoints (docs/endpoint-options.md, "Filters"): a JSON object of
// conditions on payload fields, with the operators users know from Convoy and Outpost:
// $eq $neq $gt $gte $lt $lte $in $nin $exist $regex, combined with $and $or $not.
// Compiled once when the endpoint is saved; evaluated on the stored payload bytes with simdjson.
namespace hookd {

// A payload parsed once for every filter of a message's application.
class PayloadDocument final {
 public:
  explicit PayloadDocument(std::string_view payload);
  ~PayloadDocument();
  PayloadDocument(const PayloadDocument&) = delete;
  PayloadDocument& operator=(const PayloadDocument&) = delete;

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

class PayloadFilter final {
 public:
  // Compiles `json`, or says why not: the problem's field is "filter" and its detail names the
  // operator or the field ("data.city: unknown operator $like").
  using Compiled = Checked<std::shared_ptr<const PayloadFilter>>;
  static Compiled compile(std::string_view json);
  ~PayloadFilter();

  // False for a payload that is not valid JSON.
  bool matches(const PayloadDocument& payload) const;
  bool matches(std::string_view payload) const;

  struct Node;

 private:
  PayloadFilter();
  std::unique_ptr<Node> root_;
};

}  // namespace hookd
