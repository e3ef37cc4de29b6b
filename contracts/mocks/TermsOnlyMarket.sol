// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IDemandResponseMarket} from "../interfaces/IDemandResponseMarket.sol";

/// @title Test-only stand-in for a market whose registry() answers badly (BidBook's deployment check).
/// @notice Not deployed outside tests. `terms()` answers 1800-s periods without a gate margin;
///         `registry()` answers `registry_` (mode 0), reverts (mode 1) or returns no data (mode 2).
contract TermsOnlyMarket {
    address private immutable _registry;
    uint8 private immutable _mode;

    /// @notice registry() was asked to fail.
    error NoRegistry();

    constructor(address registry_, uint8 mode) {
        _registry = registry_;
        _mode = mode;
    }

    /// @notice Terms as a market would give them (only the period and gate are read by the bid book).
    function terms() external pure returns (IDemandResponseMarket.Terms memory t) {
        t.periodSeconds = 1800;
    }

    /// @notice The configured answer.
    function registry() external view returns (address) {
        if (_mode == 1) revert NoRegistry();
        if (_mode == 2) {
            // solhint-disable-next-line no-inline-assembly
            assembly {
                return(0, 0)
            }
        }
        return _registry;
    }
}
