/* SPDX-License-Identifier: GPL-2.0 */
#include "trace.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

namespace mmrace::traces {

using nlohmann::json;

std::string traceToJson(const Trace &t)
{
	json j;
	j["format"] = "mmrace-trace";
	j["version"] = t.version;
	j["scenario_file"] = t.scenarioFile;
	j["scenario_name"] = t.scenarioName;
	j["preset"] = t.preset;
	j["guards_off"] = t.guardsOff;
	j["strategy"] = t.strategy;
	j["seed"] = t.seed;
	j["execution"] = t.execution;
	j["max_steps"] = t.maxSteps;
	j["outcome"] = t.outcome;
	j["schedule"] = encodeSchedule(t.choices);
	json choices = json::array();
	for (const Choice &c : t.choices)
		choices.push_back({c.kind == Choice::Kind::Task ? "t" : "v", c.value, c.options});
	j["choices"] = choices;
	j["threads"] = t.threads;
	json steps = json::array();
	for (const TraceStep &s : t.steps)
		steps.push_back({{"i", s.index},
				 {"thread", s.thread},
				 {"function", s.function},
				 {"what", s.what},
				 {"access", s.access},
				 {"locks", s.locks}});
	j["steps"] = steps;
	json v;
	v["invariant"] = t.violation.invariant;
	v["severity"] = t.violation.severity;
	v["title"] = t.violation.title;
	v["message"] = t.violation.message;
	json refs = json::array();
	for (const TraceStepRef &r : t.violation.steps)
		refs.push_back({{"step", r.step}, {"thread", r.thread}, {"what", r.what}});
	v["steps"] = refs;
	j["violation"] = v;
	json edges = json::array();
	for (const LockEdge &e : t.lockdep)
		edges.push_back({{"from", e.from},
				 {"to", e.to},
				 {"task", e.task},
				 {"from_lock", e.fromName},
				 {"to_lock", e.toName},
				 {"from_at", e.fromLabel},
				 {"to_at", e.toLabel},
				 {"execution", e.execution}});
	j["lockdep"] = edges;
	if (t.coverage.recorded)
		j["run_coverage"] = {{"guards_off_reached", t.coverage.guardsOffReached},
				     {"guards_off_not_reached", t.coverage.guardsOffNotReached},
				     {"executions", t.coverage.executions},
				     {"end_states_checked", t.coverage.endStatesChecked}};
	/* Embedded last: it is the longest and least read part. */
	j["scenario"] = t.scenarioJson;
	return j.dump(1, '\t') + "\n";
}

namespace
{

/* A malformed trace: the JSON path and what is wrong. */
struct Bad {
	std::string message;
};

std::string describe(const json &v)
{
	std::string s = v.dump();
	return s.size() > 40 ? s.substr(0, 40) + "..." : s;
}

const json &field(const json &o, const char *key, const std::string &path)
{
	auto it = o.find(key);
	if (it == o.end())
		throw Bad{fmt::format("{}: missing key \"{}\"", path, key)};
	return *it;
}

const json &obj(const json &v, const std::string &path)
{
	if (!v.is_object())
		throw Bad{fmt::format("{}: expected an object, got {}", path, describe(v))};
	return v;
}

const json &arr(const json &o, const char *key, const std::string &path)
{
	const json &v = field(o, key, path);
	if (!v.is_array())
		throw Bad{fmt::format("{}.{}: expected an array, got {}", path, key, describe(v))};
	return v;
}

std::string str(const json &o, const char *key, const std::string &path)
{
	const json &v = field(o, key, path);
	if (!v.is_string())
		throw Bad{fmt::format("{}.{}: expected a string, got {}", path, key, describe(v))};
	return v.get<std::string>();
}

std::string optStr(const json &o, const char *key, const std::string &path)
{
	return o.contains(key) ? str(o, key, path) : std::string();
}

std::vector<std::string> strings(const json &o, const char *key, const std::string &path)
{
	const json &a = arr(o, key, path);
	std::vector<std::string> out;
	for (std::size_t i = 0; i < a.size(); ++i) {
		if (!a[i].is_string())
			throw Bad{fmt::format("{}.{}[{}]: expected a string, got {}", path, key, i,
					      describe(a[i]))};
		out.push_back(a[i].get<std::string>());
	}
	return out;
}

/* Integers only: a float (5.5e19, 1.9) or a negative number is malformed. */
std::uint64_t u64(const json &v, const std::string &path, std::uint64_t max = UINT64_MAX)
{
	if (!v.is_number_unsigned() || v.get<std::uint64_t>() > max)
		throw Bad{fmt::format("{}: expected an integer in 0..{}, got {}", path, max,
				      describe(v))};
	return v.get<std::uint64_t>();
}

std::uint64_t optU64(const json &o, const char *key, const std::string &path)
{
	return o.contains(key) ? u64(o.at(key), path + "." + key) : 0;
}

std::uint32_t u32(const json &v, const std::string &path)
{
	return static_cast<std::uint32_t>(u64(v, path, UINT32_MAX));
}

int lockId(const json &v, const std::string &path)
{
	return static_cast<int>(u64(v, path, INT32_MAX));
}

} // namespace

std::variant<Trace, std::string> traceFromJson(const std::string &text, const std::string &file)
{
	try {
		json j = json::parse(text);
		if (!j.is_object() || j.value("format", "") != "mmrace-trace")
			return file + ": not an mmrace trace (no \"format\": \"mmrace-trace\")";
		Trace t;
		const json *ver = j.contains("version") ? &j.at("version") : nullptr;
		if (!ver)
			return file + ": $.version: missing (this mmrace reads version " +
			       std::to_string(kTraceVersion) + ")";
		if (!ver->is_number_unsigned() || ver->get<std::uint64_t>() != kTraceVersion)
			return fmt::format(
			    "{}: $.version: trace format version {} is not supported (this "
			    "mmrace reads version {})",
			    file, ver->dump(), kTraceVersion);
		t.version = kTraceVersion;
		t.scenarioFile = str(j, "scenario_file", "$");
		t.scenarioName = optStr(j, "scenario_name", "$");
		t.scenarioJson = str(j, "scenario", "$");
		t.preset = optStr(j, "preset", "$");
		t.guardsOff = strings(j, "guards_off", "$");
		t.strategy = optStr(j, "strategy", "$");
		t.seed = optU64(j, "seed", "$");
		t.execution = optU64(j, "execution", "$");
		t.maxSteps = optU64(j, "max_steps", "$");
		t.outcome = optStr(j, "outcome", "$");
		const json &choices = arr(j, "choices", "$");
		for (std::size_t i = 0; i < choices.size(); ++i) {
			const json &c = choices[i];
			std::string p = fmt::format("$.choices[{}]", i);
			if (!c.is_array() || c.size() != 3 || !c[0].is_string() ||
			    (c[0] != "t" && c[0] != "v"))
				throw Bad{p + ": each choice is [\"t\"|\"v\", value, options]"};
			bool task = c[0] == "t";
			std::uint32_t value = u32(c[1], p + "[1]"), options = u32(c[2], p + "[2]");
			/* A task is one of at most 64; a value is one of `options`. */
			if (task ? value >= 64 : value >= options)
				throw Bad{fmt::format("{}: value {} is out of range (0..{})", p,
						      value,
						      task ? 63 : std::int64_t{options} - 1)};
			t.choices.push_back(
			    {task ? Choice::Kind::Task : Choice::Kind::Value, value, options});
		}
		t.threads = strings(j, "threads", "$");
		const json &steps = arr(j, "steps", "$");
		for (std::size_t i = 0; i < steps.size(); ++i) {
			std::string p = fmt::format("$.steps[{}]", i);
			const json &s = obj(steps[i], p);
			t.steps.push_back({u64(field(s, "i", p), p + ".i"), str(s, "thread", p),
					   str(s, "function", p), str(s, "what", p),
					   str(s, "access", p), strings(s, "locks", p)});
		}
		const json &v = obj(field(j, "violation", "$"), "$.violation");
		const std::string vp = "$.violation";
		t.violation.invariant = str(v, "invariant", vp);
		t.violation.severity = str(v, "severity", vp);
		t.violation.title = str(v, "title", vp);
		t.violation.message = str(v, "message", vp);
		const json &refs = arr(v, "steps", vp);
		for (std::size_t i = 0; i < refs.size(); ++i) {
			std::string p = fmt::format("$.violation.steps[{}]", i);
			const json &r = obj(refs[i], p);
			t.violation.steps.push_back({u64(field(r, "step", p), p + ".step"),
						     str(r, "thread", p), str(r, "what", p)});
		}
		if (j.contains("lockdep")) {
			const json &edges = arr(j, "lockdep", "$");
			for (std::size_t i = 0; i < edges.size(); ++i) {
				std::string p = fmt::format("$.lockdep[{}]", i);
				const json &e = obj(edges[i], p);
				t.lockdep.push_back(
				    {lockId(field(e, "from", p), p + ".from"),
				     lockId(field(e, "to", p), p + ".to"), str(e, "task", p),
				     str(e, "from_lock", p), str(e, "to_lock", p),
				     str(e, "from_at", p), str(e, "to_at", p),
				     u64(field(e, "execution", p), p + ".execution")});
			}
		}
		if (j.contains("run_coverage")) {
			const std::string cp = "$.run_coverage";
			const json &c = obj(field(j, "run_coverage", "$"), cp);
			t.coverage.recorded = true;
			t.coverage.guardsOffReached = strings(c, "guards_off_reached", cp);
			t.coverage.guardsOffNotReached = strings(c, "guards_off_not_reached", cp);
			t.coverage.executions = u64(field(c, "executions", cp), cp + ".executions");
			t.coverage.endStatesChecked =
			    u64(field(c, "end_states_checked", cp), cp + ".end_states_checked");
		}
		return t;
	} catch (const Bad &b) {
		return fmt::format("{}: malformed trace: {}", file, b.message);
	} catch (const json::exception &e) {
		return fmt::format("{}: malformed trace: {}", file, e.what());
	}
}

std::string traceFileName(const std::string &name, const std::string &suffix)
{
	std::string out;
	auto append = [&out](const std::string &part) {
		for (char c : part.substr(0, kMaxTraceNameLength)) {
			bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
				  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
			/* No leading dot, no "..": the result is one harmless component. */
			if (!ok || (c == '.' && (out.empty() || out.back() == '.')))
				c = '_';
			out += c;
		}
	};
	append(name);
	if (out.empty())
		out = "scenario";
	append(suffix);
	if (out.back() == '.')
		out.back() = '_';
	return out + ".trace.json";
}

namespace
{

std::string dirOf(const std::string &path)
{
	auto slash = path.rfind('/');
	if (slash == std::string::npos)
		return ".";
	return slash == 0 ? "/" : path.substr(0, slash);
}

std::string baseOf(const std::string &path)
{
	auto slash = path.rfind('/');
	return slash == std::string::npos ? path : path.substr(slash + 1);
}

/* Our own temporary file next to `path`, created with O_EXCL (mkstemp). */
int makeTemp(const std::string &path, std::string &tmp)
{
	std::string base = baseOf(path);
	if (base.size() > kMaxTraceNameLength + 40)
		base.resize(kMaxTraceNameLength + 40);
	tmp = dirOf(path) + "/." + base + ".XXXXXX";
	std::vector<char> buf(tmp.begin(), tmp.end());
	buf.push_back('\0');
	int fd = ::mkostemp(buf.data(), O_CLOEXEC);
	tmp.assign(buf.data());
	return fd;
}

} // namespace

std::string checkTraceDestination(const std::string &path)
{
	if (path.empty() || path.back() == '/')
		return fmt::format("cannot write \"{}\": not a file name", path);
	struct stat st;
	if (::lstat(path.c_str(), &st) == 0) {
		if (S_ISLNK(st.st_mode)) {
			struct stat target;
			if (::stat(path.c_str(), &target) == 0 && !S_ISREG(target.st_mode))
				return fmt::format(
				    "cannot write {}: it is a symbolic link to something "
				    "that is not a regular file; only a regular file is "
				    "replaced",
				    path);
		} else if (!S_ISREG(st.st_mode)) {
			return fmt::format(
			    "cannot write {}: it is {}; only a regular file is replaced", path,
			    S_ISDIR(st.st_mode)				 ? "a directory"
			    : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device node"
			    : S_ISFIFO(st.st_mode)			 ? "a FIFO"
									 : "not a regular file");
		}
	}
	std::string dir = dirOf(path);
	if (::stat(dir.c_str(), &st) != 0)
		return fmt::format("cannot write {}: directory {}: {}", path, dir,
				   std::strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fmt::format("cannot write {}: {} is not a directory", path, dir);
	/* Writable? Try what saveTrace() will do (catches read-only mounts too). */
	std::string tmp;
	int fd = makeTemp(path, tmp);
	if (fd < 0)
		return fmt::format("cannot write {}: directory {} is not writable: {}", path, dir,
				   std::strerror(errno));
	::close(fd);
	::unlink(tmp.c_str());
	return {};
}

std::string saveTrace(const Trace &trace, const std::string &path)
{
	return writeFileAtomically(path, traceToJson(trace));
}

std::string writeFileAtomically(const std::string &path, const std::string &text)
{
	if (std::string err = checkTraceDestination(path); !err.empty())
		return err;
	std::string tmp;
	int fd = makeTemp(path, tmp);
	if (fd < 0)
		return fmt::format("cannot create a temporary file for {}: {}", path,
				   std::strerror(errno));
	auto fail = [&](const char *what) {
		std::string err = fmt::format("cannot {} {}: {}", what, tmp, std::strerror(errno));
		if (fd >= 0)
			::close(fd);
		::unlink(tmp.c_str());
		return err;
	};
	if (::fchmod(fd, 0644) != 0)
		return fail("chmod");
	std::size_t done = 0;
	while (done < text.size()) {
		ssize_t n = ::write(fd, text.data() + done, text.size() - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return fail("write");
		}
		done += static_cast<std::size_t>(n);
	}
	if (::fsync(fd) != 0)
		return fail("fsync");
	int rc = ::close(fd);
	fd = -1;
	if (rc != 0)
		return fail("close");
	/* Checked again: something may have appeared at `path` meanwhile. */
	if (std::string err = checkTraceDestination(path); !err.empty()) {
		::unlink(tmp.c_str());
		return err;
	}
	if (std::rename(tmp.c_str(), path.c_str()) != 0) {
		std::string err = fmt::format("cannot rename {} to {}: {}", tmp, path, std::strerror(errno));
		::unlink(tmp.c_str());
		return err;
	}
	/* The rename itself is durable once the directory is synced. */
	int dfd = ::open(dirOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		::fsync(dfd);
		::close(dfd);
	}
	return {};
}

std::variant<Trace, std::string> loadTrace(const std::string &path)
{
	int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fmt::format("{}: cannot read: {}", path, std::strerror(errno));
	std::string text;
	char buf[65536];
	for (;;) {
		ssize_t n = ::read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			std::string err =
			    fmt::format("{}: cannot read: {}", path, std::strerror(errno));
			::close(fd);
			return err;
		}
		if (n == 0)
			break;
		if (text.size() + static_cast<std::size_t>(n) > kMaxTraceFileSize) {
			::close(fd);
			return fmt::format(
			    "{}: cannot read: a trace is at most {} MiB; this file is larger", path,
			    kMaxTraceFileSize >> 20);
		}
		text.append(buf, static_cast<std::size_t>(n));
	}
	::close(fd);
	return traceFromJson(text, path);
}

} // namespace mmrace::traces
