// stack.cpp: a device's network stack: socket factory, resolver and DNS settings.
#include "usocket/stack.hpp"

#include <fstream>
#include <sstream>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "inet_backend.hpp"
#include "lora_backend.hpp"
#include "sigfox_backend.hpp"
#include "stack_state.hpp"
#include "usocket/constants.hpp"
#include "usocket/error.hpp"

namespace usocket {
namespace detail {

std::unique_ptr<socket_backend> stack_state::open_backend(int family, int type, int proto, std::error_code& ec) {
    (void)proto;  // lwIP picks TCP or UDP from the type alone: socket(AF_INET, SOCK_DGRAM) keeps proto 6
    if (family == family::lora) {
        bool registered = false;
        {
            std::lock_guard<std::mutex> lock(mutex);
            registered = lora_radio != nullptr;
        }
        if (!registered) {
            ec = failure::network_card_not_available;
            return nullptr;
        }
        return std::make_unique<lora_backend>(std::shared_ptr<stack_state>(shared_from_this()));
    }
    if (family == family::sigfox) {
        bool registered = false;
        {
            std::lock_guard<std::mutex> lock(mutex);
            registered = sigfox_radio != nullptr;
        }
        if (!registered) {
            ec = failure::network_card_not_available;
            return nullptr;
        }
        return std::make_unique<sigfox_backend>(std::shared_ptr<stack_state>(shared_from_this()));
    }
    if (family != family::inet || !ip_interface_up.load()) {
        // No LoRa or Sigfox radio is registered as a NIC yet, or no IP interface is up
        // (modusocket.c socket_select_nic).
        ec = failure::network_card_not_available;
        return nullptr;
    }
    if (at_socket_limit()) {
        ec = errc::enfile;
        return nullptr;
    }
    if (type != sock_type::stream && type != sock_type::dgram) {
        // lwip_socket() makes a raw PCB for SOCK_RAW; the host gives raw sockets only to root,
        // so the emulator fails as lwip_socket() does when it cannot make the netconn: ENOBUFS
        // (an API fuzz finding: EPROTONOSUPPORT is no errno of the device). Other types: EINVAL.
        ec = type == sock_type::raw ? errc::enobufs : errc::einval;
        return nullptr;
    }
    // Sockets are made by the stack shared by all of the device's sockets.
    return inet_backend::open(std::shared_ptr<stack_state>(shared_from_this()), type, ec);
}

bool stack_state::interrupted() const {
    std::shared_ptr<const stack::interrupt_check> check;
    {
        std::lock_guard<std::mutex> lock(mutex);
        check = interrupt_check;
    }
    return check && *check && (*check)();
}

}  // namespace detail

namespace {

// The host's IPv4 name servers, which stand for what the device's DHCP lease gave it.
std::array<std::array<std::uint8_t, 4>, 2> host_dns_servers() {
    std::array<std::array<std::uint8_t, 4>, 2> servers{};
    std::ifstream resolv("/etc/resolv.conf");
    std::string line;
    std::size_t found = 0;
    while (found < servers.size() && std::getline(resolv, line)) {
        std::istringstream words(line);
        std::string key, value;
        if (!(words >> key >> value) || key != "nameserver") {
            continue;
        }
        boost::system::error_code bec;
        const auto address = boost::asio::ip::make_address_v4(value, bec);
        if (!bec) {
            servers[found++] = address.to_bytes();
        }
    }
    return servers;
}

std::string dotted(const std::array<std::uint8_t, 4>& ip) { return inet_address{ip, 0}.ip_string(); }

/// modusocket_check_numdns(): the index must be 0 or 1 (the binding rejects non-integers).
std::error_code check_dns_index(std::int64_t index) {
    constexpr std::int64_t max_dns_servers = 2;  // MODUSOCKET_MAX_DNS_SERV
    if (index >= max_dns_servers) {
        return failure::index_out_of_range;
    }
    return {};
}

}  // namespace

stack::stack(stack_options options) : state_(std::make_shared<detail::stack_state>(options)) {
    state_->dns_servers = host_dns_servers();
}

const stack_options& stack::options() const noexcept { return state_->options; }

const board_profile& stack::board() const noexcept { return profile_of(state_->options.board_id); }

std::size_t stack::open_sockets() const noexcept { return state_->open_sockets.load(); }

void stack::set_lora_radio(std::shared_ptr<sim::lora_radio> radio, int region) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->lora_radio = std::move(radio);
    state_->lora_region = region;
}

void stack::set_lorawan_mac(std::shared_ptr<sim::lorawan_mac> mac) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->lorawan_mac = std::move(mac);
}

bool stack::has_lora_radio() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->lora_radio != nullptr;
}

void stack::set_sigfox_radio(std::shared_ptr<sim::sigfox_radio> radio) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->sigfox_radio = std::move(radio);
}

bool stack::has_sigfox_radio() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->sigfox_radio != nullptr;
}

void stack::set_ip_interface_up(bool up) noexcept { state_->ip_interface_up.store(up); }

bool stack::ip_interface_up() const noexcept { return state_->ip_interface_up.load(); }

void stack::set_interrupt_check(interrupt_check check) {
    auto shared = std::make_shared<const interrupt_check>(std::move(check));
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->interrupt_check = std::move(shared);
}

void stack::set_blocking_hook(blocking_hook hook) {
    auto shared = hook ? std::make_shared<const blocking_hook>(std::move(hook)) : nullptr;
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->blocking_hook = std::move(shared);
}

std::vector<address_info> stack::getaddrinfo(std::string_view host, std::int64_t port, std::error_code& ec) const {
    // lwip_getaddrinfo() takes the port as a decimal string and rejects it outside 0..65535.
    if (port < 0 || port > 0xFFFF) {
        ec = errc::eai_service;
        return {};
    }
    inet_address address;
    if (const auto ip = parse_device_ipv4(host); ip && !host.empty() && host.find_first_not_of("0123456789.") == host.npos) {
        address.ip = *ip;  // dotted hosts are converted without a DNS query
    } else {
        boost::asio::ip::tcp::resolver resolver(state_->io);
        boost::system::error_code bec;
        const auto results = resolver.resolve(boost::asio::ip::tcp::v4(), std::string(host), "0", bec);
        if (bec || results.empty()) {
            ec = errc::eai_fail;  // lwIP answers every failed lookup with EAI_FAIL
            return {};
        }
        address.ip = results.begin()->endpoint().address().to_v4().to_bytes();
    }
    address.port = static_cast<std::uint16_t>(port);
    ec.clear();
    return {address_info{family::inet, sock_type::stream, 0, "", address}};
}

std::vector<address_info> stack::getaddrinfo(std::string_view host, std::int64_t port) const {
    std::error_code ec;
    auto result = getaddrinfo(host, port, ec);
    throw_if(ec, "getaddrinfo");
    return result;
}

std::array<std::string, 2> stack::dns_servers() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return {dotted(state_->dns_servers[0]), dotted(state_->dns_servers[1])};
}

std::pair<int, std::string> stack::dns_server(std::int64_t index, std::error_code& ec) const {
    ec = check_dns_index(index);
    if (ec) {
        return {};
    }
    // The firmware stores the index in a uint8_t; lwIP answers 0.0.0.0 past its table.
    const auto slot = static_cast<std::uint8_t>(index);
    std::lock_guard<std::mutex> lock(state_->mutex);
    return {slot, slot < state_->dns_servers.size() ? dotted(state_->dns_servers[slot]) : "0.0.0.0"};
}

void stack::set_dns_server(std::int64_t index, std::string_view host, std::error_code& ec) {
    ec = check_dns_index(index);
    if (ec) {
        return;
    }
    const auto ip = parse_device_ipv4(host);
    if (!ip) {
        ec = failure::invalid_arguments;
        return;
    }
    const auto slot = static_cast<std::uint8_t>(index);
    std::lock_guard<std::mutex> lock(state_->mutex);
    if (slot < state_->dns_servers.size()) {
        state_->dns_servers[slot] = *ip;  // lwIP's dns_setserver ignores larger indexes
    }
}

}  // namespace usocket
