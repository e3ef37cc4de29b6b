// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title The market's vault: participants' free balances of the two tokens, held internally.
/// @notice Participants deposit USD (8 decimals: 1e-8 USD) and kWh tokens (3 decimals: Wh) once
///         and trade from their free balances; a fill moves free balances into the escrow of a
///         position, settlement moves escrow back into free balances, and only the owner of a
///         free balance can withdraw it. Nothing is ever pushed to a participant, so a token that
///         blocklists one party cannot freeze the other.
///         Invariant: token.balanceOf(market) ≥ accounted(asset) == Σ free balances + Σ escrows of
///         open commitments, for both tokens, always (equality unless tokens were sent to the
///         market directly, outside deposit). A deposit credits exactly what arrived: a token
///         whose balance change differs from the amount (fee on transfer, rebasing) is refused.
///         Tokens sent directly belong to nobody's balance; anyone may sweep that excess — and
///         only the excess over what is accounted — to the treasury.
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
    /// @notice `amount` of `asset` held above what the vault accounts for was sent to the treasury `to`.
    event Swept(Asset indexed asset, uint256 amount, address to);

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
    /// @notice The USD and kWh tokens must be two different contracts.
    error SameToken(address token);
    /// @notice The treasury that receives swept tokens cannot be the zero address.
    error ZeroTreasury();
    /// @notice The market holds no `asset` above what it accounts for.
    error NothingToSweep(Asset asset);

    /// @notice Moves `amount` of `asset` from the caller into its free balance (needs an allowance).
    function deposit(Asset asset, uint256 amount) external;

    /// @notice `deposit` after an ERC-2612 permit for `amount` (a permit that fails, e.g. one
    ///         front-run and already used, is ignored when the allowance suffices).
    function depositWithPermit(Asset asset, uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;

    /// @notice Sends `amount` of the caller's free `asset` to `to` (which may be another address,
    ///         e.g. when the caller's own address is blocklisted by the token).
    function withdraw(Asset asset, uint256 amount, address to) external;

    /// @notice Sends the market's `asset` held above what it accounts for (tokens transferred to
    ///         it directly, outside deposit) to the treasury. Anyone may call.
    /// @return amount What was swept (USD: 1e-8 USD; kWh: Wh).
    function sweep(Asset asset) external returns (uint256 amount);

    /// @notice Free balances of `account`: USD (1e-8 USD) and kWh (Wh).
    function balancesOf(address account) external view returns (uint128 usd, uint96 kwh);

    /// @notice What the vault owes in `asset`: every free balance and escrow (USD: 1e-8 USD; kWh: Wh).
    function accounted(Asset asset) external view returns (uint256);

    /// @notice Where swept tokens go.
    function treasury() external view returns (address);
}
