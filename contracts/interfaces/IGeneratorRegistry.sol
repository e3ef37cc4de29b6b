// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Registry of generators allowed to trade adjustment, and the grid node each sits at.
/// @notice The grid operator (REGISTRAR_ROLE) registers a generator's wallet at a node; the kWh
///         token issues adjustment capacity only to registered wallets and the market lets only
///         them accept offers for their node.
interface IGeneratorRegistry {
    /// @notice A wallet was registered as the generator at `node` (a bus number of the case).
    event GeneratorRegistered(address indexed generator, uint32 indexed node);
    /// @notice A wallet is no longer a registered generator.
    event GeneratorDeregistered(address indexed generator, uint32 indexed node);

    /// @notice The zero address cannot be a generator.
    error ZeroGenerator();
    /// @notice Node 0 is not a bus number.
    error ZeroNode();
    /// @notice `generator` is already registered (at `node`).
    error AlreadyRegistered(address generator, uint32 node);
    /// @notice `generator` is not registered.
    error NotRegistered(address generator);

    /// @notice Registers `generator` at grid node `node`. Only REGISTRAR_ROLE.
    function register(address generator, uint32 node) external;

    /// @notice Removes `generator`. Only REGISTRAR_ROLE. Escrows it already holds are unaffected.
    function deregister(address generator) external;

    /// @notice The node of `generator`, 0 when it is not registered.
    function nodeOf(address generator) external view returns (uint32 node);
}
