#include <catch2/catch.hpp>
#include "prefix.hpp"
TEST_CASE("placeholder", "[unit]") { CHECK(xdpguard::Prefix::parse("192.0.2.0/24").str() == "192.0.2.0/24"); }
