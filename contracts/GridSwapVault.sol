// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IGridSwapVault} from "./interfaces/IGridSwapVault.sol";

/// @title The market's vault: free balances of the USD and kWh tokens, one slot per account.
/// @notice See IGridSwapVault. Tokens move only in deposit, depositWithPermit and withdraw (each
///         nonReentrant, SafeERC20); everything else moves internal balances.
abstract contract GridSwapVault is IGridSwapVault, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @dev One slot: free USD (1e-8 USD), free kWh (Wh) and, for centres, the offer epoch.
    struct Account {
        uint128 usd;
        uint96 kwh;
        uint32 epoch;
    }

    /// @notice USD token (8 decimals).
    IERC20 public immutable usd;
    /// @notice kWh-adjustment token (3 decimals: Wh).
    IERC20 public immutable kwh;

    /// @notice Receives tokens swept from above what the vault accounts for.
    address public immutable treasury;

    /// @dev Σ free balances + Σ escrows per token; changes only on deposit and withdraw (every other
    ///      move is between two internal balances). One slot.
    struct Accounted {
        uint128 usd;
        uint128 kwh;
    }

    mapping(address account => Account) internal _accounts;
    Accounted private _accounted;

    /// @param usd_ USD token (8 decimals: 1e-8 USD).
    /// @param kwh_ kWh-adjustment token (3 decimals: Wh), another contract than usd_.
    /// @param treasury_ Where sweep sends tokens held above what is accounted for.
    constructor(IERC20 usd_, IERC20 kwh_, address treasury_) {
        if (address(usd_) == address(kwh_)) revert SameToken(address(usd_));
        if (treasury_ == address(0)) revert ZeroTreasury();
        usd = usd_;
        kwh = kwh_;
        treasury = treasury_;
    }

    /// @inheritdoc IGridSwapVault
    function deposit(Asset asset, uint256 amount) external nonReentrant {
        _deposit(asset, amount);
    }

    /// @inheritdoc IGridSwapVault
    function depositWithPermit(
        Asset asset,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant {
        // A permit already used (e.g. front-run) reverts; the allowance it set still lets the
        // deposit succeed, and without an allowance transferFrom fails with the token's own error.
        /* solhint-disable no-empty-blocks */
        try
            IERC20Permit(address(_token(asset))).permit(msg.sender, address(this), amount, deadline, v, r, s)
        {} catch {}
        /* solhint-enable no-empty-blocks */
        _deposit(asset, amount);
    }

    /// @inheritdoc IGridSwapVault
    function withdraw(Asset asset, uint256 amount, address to) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        if (to == address(0)) revert ZeroRecipient();
        Account storage account = _accounts[msg.sender];
        uint256 available = asset == Asset.Usd ? account.usd : account.kwh;
        if (amount > available) revert InsufficientBalance(msg.sender, asset, available, amount);
        // amount ≤ available ≤ accounted, which fit their fields: the narrowing casts are exact.
        if (asset == Asset.Usd) {
            account.usd = uint128(available - amount);
            _accounted.usd -= uint128(amount);
        } else {
            account.kwh = uint96(available - amount);
            _accounted.kwh -= uint128(amount);
        }
        emit Withdrawn(msg.sender, asset, amount, to);
        _token(asset).safeTransfer(to, amount);
    }

    /// @inheritdoc IGridSwapVault
    function sweep(Asset asset) external nonReentrant returns (uint256 amount) {
        IERC20 token = _token(asset);
        uint256 held = token.balanceOf(address(this));
        uint256 owed = asset == Asset.Usd ? _accounted.usd : _accounted.kwh;
        if (held <= owed) revert NothingToSweep(asset);
        amount = held - owed;
        emit Swept(asset, amount, treasury);
        token.safeTransfer(treasury, amount);
    }

    /// @inheritdoc IGridSwapVault
    function balancesOf(address account) external view returns (uint128, uint96) {
        Account storage a = _accounts[account];
        return (a.usd, a.kwh);
    }

    /// @inheritdoc IGridSwapVault
    function accounted(Asset asset) external view returns (uint256) {
        return asset == Asset.Usd ? _accounted.usd : _accounted.kwh;
    }

    /// @dev Credits exactly what arrived, and only if that is `amount`; state after the transfer
    ///      is safe here because the entry points are nonReentrant and the credit depends on it.
    function _deposit(Asset asset, uint256 amount) private {
        if (amount == 0) revert ZeroAmount();
        IERC20 token = _token(asset);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert TransferAmountMismatch(asset, amount, received);
        Account storage account = _accounts[msg.sender];
        // The token's total supply bounds the accounted sums, and each sum bounds its balances, so
        // checking the sum against the field width is enough (uint96 kWh balances: checked too).
        if (asset == Asset.Usd) {
            uint256 total = uint256(_accounted.usd) + amount;
            if (total > type(uint128).max) revert BalanceOverflow(msg.sender, asset);
            _accounted.usd = uint128(total);
            account.usd += uint128(amount);
        } else {
            uint256 total = uint256(_accounted.kwh) + amount;
            uint256 balance = uint256(account.kwh) + amount;
            if (total > type(uint128).max || balance > type(uint96).max) revert BalanceOverflow(msg.sender, asset);
            _accounted.kwh = uint128(total);
            account.kwh = uint96(balance);
        }
        emit Deposited(msg.sender, asset, amount);
    }

    function _token(Asset asset) private view returns (IERC20) {
        return asset == Asset.Usd ? usd : kwh;
    }
}
