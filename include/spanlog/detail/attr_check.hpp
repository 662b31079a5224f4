// What a call's arguments may be, checked at compile time in the enabled and the disabled build alike, so a
// wrong use fails in every build with a message that says what to write instead.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>

#include "../config.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

template <class T>
constexpr bool is_string_value =
    std::is_same_v<std::decay_t<T>, const char*> || std::is_same_v<std::decay_t<T>, char*> ||
    std::is_same_v<std::decay_t<T>, std::string_view> || std::is_same_v<std::decay_t<T>, std::string>;

// Attribute values: integers, floating point, bool, enums and strings (copied into the ring).
template <class T>
constexpr bool is_attr_value =
    std::is_arithmetic_v<std::decay_t<T>> || std::is_enum_v<std::decay_t<T>> || is_string_value<T>;

// A name or a key: a char array, which the macros and the site data keep as a pointer to static storage.
template <class T>
constexpr bool is_literal_text = std::is_array_v<std::remove_reference_t<T>>&&
    std::is_same_v<std::remove_cv_t<std::remove_extent_t<std::remove_reference_t<T>>>, char>;

template <class... A>
struct AttrPackCheck;
template <>
struct AttrPackCheck<> {
  static constexpr bool keys_ok = true;
  static constexpr bool values_ok = true;
  static constexpr bool ok = true;
};
template <class K>
struct AttrPackCheck<K> {  // a key without its value
  static constexpr bool keys_ok = false;
  static constexpr bool values_ok = true;
  static constexpr bool ok = false;
};
template <class K, class V, class... Rest>
struct AttrPackCheck<K, V, Rest...> {
  static constexpr bool keys_ok = is_literal_text<K> && AttrPackCheck<Rest...>::keys_ok;
  static constexpr bool values_ok = is_attr_value<V> && AttrPackCheck<Rest...>::values_ok;
  static constexpr bool ok = keys_ok && values_ok;
};

#define SPANLOG_ATTR_KEYS_MESSAGE_ \
  "spanlog attributes are \"key\", value pairs, and each key is a string literal"
#define SPANLOG_ATTR_VALUES_MESSAGE_ \
  "spanlog attribute values are integers, floating point, bool, enums or strings"
#define SPANLOG_NAME_MESSAGE_                                                              \
  "spanlog names are string literals; a value that varies belongs in an attribute, as in " \
  "SPANLOG_SPAN(\"http.request\", \"route\", route)"

template <class... A>
constexpr bool attrs_valid() {
  static_assert(AttrPackCheck<A...>::keys_ok, SPANLOG_ATTR_KEYS_MESSAGE_);
  static_assert(AttrPackCheck<A...>::values_ok, SPANLOG_ATTR_VALUES_MESSAGE_);
  static_assert(sizeof...(A) / 2 <= SPANLOG_MAX_ATTRS, "too many attributes (SPANLOG_MAX_ATTRS)");
  return AttrPackCheck<A...>::ok;
}

// The same checks for the disabled macros, which name the arguments inside sizeof only: the deduced return
// type makes the compiler instantiate the body (and its static_asserts) without evaluating anything.
template <class... A>
constexpr auto check_attrs(const A&...) {
  static_assert(attrs_valid<A...>());
  return char{};
}
template <class Name, class... A>
constexpr auto check_named(const Name&, const A&...) {
  static_assert(is_literal_text<Name>, SPANLOG_NAME_MESSAGE_);
  static_assert(attrs_valid<A...>());
  return char{};
}

// Metric labels: "key", value pairs after the value, as attributes are, at most SPANLOG_MAX_LABELS.
#define SPANLOG_LABEL_KEYS_MESSAGE_ \
  "spanlog metric labels are \"key\", value pairs after the value, and each key is a string literal"
#define SPANLOG_HISTOGRAM_VALUE_MESSAGE_ \
  "spanlog histograms take integers: record in the unit that makes the values whole (ns, bytes, items)"

template <class... L>
constexpr bool labels_valid() {
  static_assert(AttrPackCheck<L...>::keys_ok, SPANLOG_LABEL_KEYS_MESSAGE_);
  static_assert(AttrPackCheck<L...>::values_ok, SPANLOG_ATTR_VALUES_MESSAGE_);
  static_assert(sizeof...(L) / 2 <= SPANLOG_MAX_LABELS, "too many labels (SPANLOG_MAX_LABELS)");
  return AttrPackCheck<L...>::ok;
}

template <class T>
constexpr bool is_histogram_value =
    std::is_integral_v<std::decay_t<T>> && !std::is_same_v<std::decay_t<T>, bool>;

template <class Name, class Value, class... L>
constexpr auto check_metric(const Name&, const Value&, const L&...) {
  static_assert(is_literal_text<Name>, SPANLOG_NAME_MESSAGE_);
  static_assert(std::is_arithmetic_v<std::decay_t<Value>>, "spanlog counters and gauges take a number");
  static_assert(labels_valid<L...>());
  return char{};
}
template <class Name, class Value, class... L>
constexpr auto check_histogram(const Name&, const Value&, const L&...) {
  static_assert(is_literal_text<Name>, SPANLOG_NAME_MESSAGE_);
  static_assert(is_histogram_value<Value>, SPANLOG_HISTOGRAM_VALUE_MESSAGE_);
  static_assert(labels_valid<L...>());
  return char{};
}

template <class Name, class Id, class... A>
constexpr auto check_async_begin(const Name&, const Id&, const A&...) {
  static_assert(is_literal_text<Name>, SPANLOG_NAME_MESSAGE_);
  static_assert(std::is_integral_v<Id>, "spanlog async span ids are integers");
  static_assert(attrs_valid<A...>());
  return char{};
}
template <class Id, class... A>
constexpr auto check_async_end(const Id&, const A&...) {
  static_assert(std::is_integral_v<Id>, "spanlog async span ids are integers");
  static_assert(attrs_valid<A...>());
  return char{};
}

}  // namespace detail
SPANLOG_END_NAMESPACE
