// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IGridOracle} from "../interfaces/IGridOracle.sol";

/// @title The Merkle tree of a report's measurements: how the oracle stores them (one root per
///        report) and how a measurement is proved against it.
/// @notice Leaves are keccak256(abi.encode(measurement)) in report order (a measurement encodes to
///         288 bytes, so no leaf can pass for a 64-byte inner node). Each level pairs neighbours
///         with OpenZeppelin's commutative keccak256 (so MerkleProof verifies a proof of
///         siblings alone); an odd last node moves up unpaired. The TypeScript builder
///         (oracle/chain/measurement-tree.ts) makes the same tree and proofs; a property test
///         compares them.
library MeasurementTree {
    /// @notice The leaf of `m`: keccak256(abi.encode(m)).
    function leaf(IGridOracle.Measurement calldata m) internal pure returns (bytes32 hash) {
        // A Measurement is nine static words, laid out in calldata exactly as abi.encode lays them
        // out: hash them from scratch memory past the free pointer, which is left where it is (no
        // allocation per leaf).
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let scratch := mload(0x40)
            calldatacopy(scratch, m, 288)
            hash := keccak256(scratch, 288)
        }
    }

    /// @notice The root of `measurements` (zero for none).
    function root(IGridOracle.Measurement[] calldata measurements) internal pure returns (bytes32) {
        uint256 n = measurements.length;
        if (n == 0) return bytes32(0);
        bytes32[] memory level = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) level[i] = leaf(measurements[i]);
        while (n > 1) {
            uint256 half = n / 2;
            for (uint256 i = 0; i < half; ++i) level[i] = Hashes.commutativeKeccak256(level[2 * i], level[2 * i + 1]);
            // An odd last node moves up unpaired.
            if (n % 2 == 1) level[half] = level[n - 1];
            n = half + (n % 2);
        }
        return level[0];
    }

    /// @notice True when `m` is a leaf of the tree with root `treeRoot`, shown by `proof` (siblings).
    function contains(
        bytes32 treeRoot,
        IGridOracle.Measurement calldata m,
        bytes32[] calldata proof
    ) internal pure returns (bool) {
        return treeRoot != bytes32(0) && MerkleProof.verifyCalldata(proof, treeRoot, leaf(m));
    }
}
