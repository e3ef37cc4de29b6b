// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title The market's vault: participants' free balances of the two tokens, held internally.
/// @notice Participants deposit USD (8 decimals: 1e-8 USD) and kWh tokens (3 decimals: Wh) once
///         and trade from their free balances; a fill moves free balances into the escrow of a
///         position, settlement moves escrow back into free balances, and only the owner of a
///         free balance can withdraw it. Nothing is ever pushed to a participant, so a token that
///         blocklists one party cannot freeze the other.
///         Invariant: token.balanceOf(market) == Σ free balances + Σ escrows of open positions,
///         for both tokens, always. A deposit credits exactly what arrived: a token whose balance
///         change differs from the amount (fee on transfer, rebasing) is refused.
interface IGridSwapVault {
    /// @notice The two tokens the vault holds.
    enum Asset {
        Usd,
        Kwh
    }

    /// @notice `account` deposited `amount` of `asset` (USD: 1e-8 USD; kWh: Wh).
    event Deposited(address indexed account, Asset indexed asset, uint256 amount);
    /// @notice `account` withdrew `amount` of `asset` to `to`.
    event Withdrawn(address indexed account, Asset indexed asset, uint256 amount, address to);

    /// @notice An amount was zero.
    error ZeroAmount();
    /// @notice Withdrawals need a recipient.
    error ZeroRecipient();
    /// @notice The market's balance of `asset` grew by `received`, not by `expected`: the token
    ///         charges fees or rebases and is refused.
    error TransferAmountMismatch(Asset asset, uint256 expected, uint256 received);
    /// @notice `account` has `available` free `asset`, `needed` were asked for.
    error InsufficientBalance(address account, Asset asset, uint256 available, uint256 needed);
    /// @notice A free balance would exceed its storage width (USD: 2^128−1, kWh: 2^96−1 units).
    error BalanceOverflow(address account, Asset asset);

    /// @notice Moves `amount` of `asset` from the caller into its free balance (needs an allowance).
    function deposit(Asset asset, uint256 amount) external;

    /// @notice `deposit` after an ERC-2612 permit for `amount` (a permit that fails, e.g. one
    ///         front-run and already used, is ignored when the allowance suffices).
    function depositWithPermit(Asset asset, uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;

    /// @notice Sends `amount` of the caller's free `asset` to `to` (which may be another address,
    ///         e.g. when the caller's own address is blocklisted by the token).
    function withdraw(Asset asset, uint256 amount, address to) external;

    /// @notice Free balances of `account`: USD (1e-8 USD) and kWh (Wh).
    function balancesOf(address account) external view returns (uint128 usd, uint96 kwh);
}
