// The routes that list and watch: pages with continue tokens, label and field
// selectors, resourceVersion semantics, and chunked watch streams with
// bookmarks, resumes and the watch faults.
#include "testing/fake_routes.hpp"

#include "kube/api_error.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace synergai::kube::fake {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using json = nlohmann::json;
using steady = std::chrono::steady_clock;

namespace {

json strip_kind(json obj) {
  obj.erase("kind");
  obj.erase("apiVersion");
  return obj;
}

}  // namespace

// A list request as the server pages and filters it. `in_scope` runs under
// the lock and gives the objects of the request's namespace in name order.
bool Routes::list_objects(Stream& s, const Request& req, Endpoint ep, const std::string& user, const Query& query,
                  const std::vector<std::string>& field_labels, const std::string& kind,
                  const std::string& api_version, const std::function<std::vector<const json*>()>& in_scope) {
  auto refuse = [&](int code, const std::string& reason, const std::string& message) {
    record(ep, req, code, false, user);
    return write_status(s, req, code, reason, message);
  };
  ListOptions o;
  try {
    o = parse_list_options(query, field_labels);
  } catch (const QueryError& e) {
    return refuse(e.code, e.reason, e.what());
  }
  // Only Jobs and Nodes are watched here (watch); discovery lists no watch verb for the rest.
  if (o.watch)
    return refuse(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
  std::optional<std::uint64_t> requested;
  if (!o.continue_from && !o.resource_version.empty() && o.resource_version != "0") {
    try {
      std::size_t used = 0;
      requested = std::stoull(o.resource_version, &used);
      if (used != o.resource_version.size()) throw std::invalid_argument{"trailing characters"};
    } catch (const std::exception&) {
      return refuse(400, "BadRequest", fmt::format("invalid resource version: {}", o.resource_version));
    }
  }
  json items = json::array();
  json metadata = json::object();
  {
    std::unique_lock lock{st_.mutex};
    std::uint64_t at = st_.store.rv;
    if (o.continue_from) {
      if (o.continue_from->resource_version < st_.store.compacted_rv) {
        lock.unlock();
        return refuse(410, "Expired",
                      "The provided continue parameter is too old to display a consistent list result. You can "
                      "start a new list without the continue parameter.");
      }
      at = o.continue_from->resource_version;
    } else if (requested && *requested > st_.store.rv) {
      const auto current = st_.store.rv;
      lock.unlock();
      return refuse(504, "Timeout", fmt::format("Too large resource version: {}, current: {}", *requested, current));
    } else if (requested && o.resource_version_match == "Exact" && *requested != st_.store.rv) {
      // Only the newest state is kept here: an exact older list is gone.
      const auto current = st_.store.rv;
      lock.unlock();
      return refuse(410, "Expired", fmt::format("too old resource version: {} ({})", *requested, current));
    }
    const bool selecting = !o.labels.empty() || !o.fields.empty();
    std::int64_t remaining = 0;
    std::string last;
    for (const json* obj : in_scope()) {
      const std::string name = obj->at("metadata").value("name", std::string{});
      if (o.continue_from && name < o.continue_from->start) continue;
      if (!matches(o.labels, *obj) || !matches(o.fields, *obj)) continue;
      if (o.limit && static_cast<std::int64_t>(items.size()) == *o.limit) {
        ++remaining;
        if (selecting) break;  // the server counts what remains only for unfiltered lists
        continue;
      }
      items.push_back(strip_kind(*obj));
      last = name;
    }
    metadata["resourceVersion"] = std::to_string(at);
    if (remaining > 0) {
      // The next page holds the names after the last one sent.
      metadata["continue"] = encode_continue({at, last + std::string(1, '\0')});
      if (!selecting) metadata["remainingItemCount"] = remaining;
    }
  }
  record(ep, req, 200, false, user);
  return write_json(s, req, 200,
                    {{"kind", kind}, {"apiVersion", api_version}, {"metadata", metadata}, {"items", items}});
}


// A watch of the Jobs of `ns` (kind Job) or of the Nodes (kind Node).
bool Routes::watch(Stream& s, const Request& req, Endpoint ep, const std::string& kind, const std::string& ns,
           const Query& query, const Faults& f, const std::string& user) {
  ListOptions o;
  try {
    o = parse_list_options(query, kind == "Job" ? job_field_labels() : node_field_labels());
  } catch (const QueryError& e) {
    record(ep, req, e.code, false, user);
    return write_status(s, req, e.code, e.reason, e.what());
  }
  const bool bookmarks = o.allow_bookmarks;
  const std::chrono::seconds timeout = o.timeout.value_or(std::chrono::seconds{1800});
  const auto selected = [&](const json& obj) { return matches(o.labels, obj) && matches(o.fields, obj); };
  const std::string rv_text = o.resource_version;
  std::uint64_t from = 0;
  bool from_now = rv_text.empty() || rv_text == "0";
  if (!from_now) {
    try {
      from = std::stoull(rv_text);
    } catch (const std::exception&) {
      record(ep, req, 400, false, user);
      return write_status(s, req, 400, "BadRequest", fmt::format("invalid resource version: {}", rv_text));
    }
  }

  bool gone = false;
  std::string gone_message;
  {
    std::lock_guard lock{st_.mutex};
    if (!from_now) {
      gone = st_.faults.gone_on_resume(ep, f);
      if (gone) gone_message = fmt::format("too old resource version: {} ({})", from, st_.store.rv);
      else if (from < st_.store.compacted_rv) {
        gone = true;
        gone_message = fmt::format("too old resource version: {} ({})", from, st_.store.compacted_rv + 1);
      }
    }
  }
  if (gone && f.gone_as_http) {
    record(ep, req, 410, true, user);
    return write_status(s, req, 410, "Gone", gone_message);
  }

  bhttp::response<bhttp::empty_body> res{bhttp::status::ok, req.version()};
  res.set(bhttp::field::server, "synergai-fake-apiserver");
  res.set(bhttp::field::content_type, "application/json");
  res.chunked(true);
  bhttp::response_serializer<bhttp::empty_body> sr{res};
  beast::error_code ec;
  bhttp::write_header(s, sr, ec);
  if (ec) return false;
  record(ep, req, 200, gone, user);
  auto write_line = [&](const json& ev) {
    std::string line = ev.dump() + "\n";
    asio::write(s, bhttp::make_chunk(asio::buffer(line)), ec);
    return !ec;
  };
  auto finish = [&] {
    asio::write(s, bhttp::make_chunk_last(), ec);
    return false;  // the stream's connection is not reused
  };
  if (gone) {
    write_line({{"type", "ERROR"}, {"object", make_status(410, "Expired", gone_message)}});
    return finish();
  }

  std::unique_lock lock{st_.mutex};
  ++st_.watches_open;
  struct Guard {
    ServerState& st;
    ~Guard() {
      std::lock_guard l{st.mutex};
      --st.watches_open;
    }
  };
  lock.unlock();
  Guard guard{st_};
  lock.lock();
  const auto deadline = steady::now() + timeout;
  const std::uint64_t generation = st_.faults.watch_generation();
  int sent = 0;
  std::vector<json> batch;
  std::uint64_t cursor = from;
  if (from_now) {
    if (kind == "Job") {
      for (const auto& [key, obj] : st_.store.jobs)
        if (key.first == ns && selected(obj)) batch.push_back({{"type", "ADDED"}, {"object", obj}});
    } else {
      for (const auto& [key, obj] : st_.store.nodes)
        if (selected(obj)) batch.push_back({{"type", "ADDED"}, {"object", obj}});
    }
    cursor = st_.store.rv;
  }
  auto next_bookmark = steady::now() + st_.options.bookmark_interval;
  for (;;) {
    if (batch.empty()) {
      st_.cv.wait_until(lock, std::min(deadline, bookmarks ? next_bookmark : deadline), [&] {
        return st_.stopping || st_.faults.watch_generation() != generation ||
               (!st_.store.events.empty() && st_.store.events.back().rv > cursor);
      });
      if (st_.stopping || st_.faults.watch_generation() != generation) {
        lock.unlock();
        cut(s);
        return false;
      }
      auto it = std::upper_bound(st_.store.events.begin(), st_.store.events.end(), cursor,
                                 [](std::uint64_t v, const Event& e) { return v < e.rv; });
      for (; it != st_.store.events.end(); ++it)
        if (it->kind == kind && it->ns == ns && selected(it->object))
          batch.push_back({{"type", it->type}, {"object", it->object}});
      cursor = std::max(cursor, st_.store.rv);
    }
    const std::uint64_t bookmark_rv = cursor;
    const bool need_bookmark = bookmarks && steady::now() >= next_bookmark;
    bool drop_now = false;
    const std::vector<bool> drop_before = st_.faults.drops_before(f, batch.size());
    lock.unlock();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (drop_before[i] || (f.drop_after_events > 0 && sent >= f.drop_after_events)) {
        drop_now = true;
        break;
      }
      if (!write_line(batch[i])) return false;
      ++sent;
    }
    batch.clear();
    if (drop_now) {
      record(ep, req, 0, true, user);
      cut(s);
      return false;
    }
    if (need_bookmark) {
      json mark{{"type", "BOOKMARK"},
                {"object", {{"kind", kind}, {"apiVersion", kind == "Job" ? "batch/v1" : "v1"},
                            {"metadata", {{"resourceVersion", std::to_string(bookmark_rv)}}}}}};
      if (!write_line(mark)) return false;
      next_bookmark = steady::now() + st_.options.bookmark_interval;
    }
    if (steady::now() >= deadline) return finish();
    lock.lock();
  }
}


}  // namespace synergai::kube::fake
