// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IGridOracle} from "./IGridOracle.sol";

// Errors more than one GridSwap contract raises, each declared once (one declaration, one
// selector, one text), in groups by what they are about. A contract's interface inherits only the
// groups whose errors it raises, so its ABI lists no error it cannot raise.

/// @title A grid node (a bus number of the case) given where one is required.
interface INodeErrors {
    /// @notice Node 0 is not a bus number.
    error ZeroNode();
}

/// @title A generator's wallet given where one is required.
interface IGeneratorErrors {
    /// @notice The zero address was given as a generator (registered, or named by a measurement).
    error ZeroGenerator();
}

/// @title A baseline method and its days (an offer's terms, a measurement).
interface IBaselineErrors {
    /// @notice `baselineDays` does not suit `baseline` (RollingAverage: 1..MAX_BASELINE_DAYS days;
    ///         Nominated and MeterBefore: 0).
    error InvalidBaseline(IGridOracle.BaselineMethod baseline, uint8 baselineDays);
}

/// @title A batch call's list length.
interface IBatchErrors {
    /// @notice A list has `length` items; at most `max` are accepted in one call.
    error TooManyItems(uint256 length, uint256 max);
}
